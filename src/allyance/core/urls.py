from django.urls import path

import allyance.core.views_notifications as views_notifications
import allyance.core.views_transfer as views_transfer
from allyance.core import views, views_admin, views_attachments, views_custom_fields

app_name = "core"

urlpatterns = [
    path("search/", views.search, name="search"),
    path(
        "attachments/upload/<str:target_type>/<int:target_id>/",
        views_attachments.attachment_upload,
        name="attachment-upload",
    ),
    path(
        "attachments/<int:pk>/download/",
        views_attachments.attachment_download,
        name="attachment-download",
    ),
    path(
        "attachments/<int:pk>/delete/",
        views_attachments.attachment_delete_page,
        name="attachment-delete",
    ),
    path(
        "manage/custom-fields/",
        views_custom_fields.custom_field_list,
        name="custom-field-list",
    ),
    path(
        "manage/custom-fields/new/",
        views_custom_fields.custom_field_create,
        name="custom-field-create",
    ),
    path(
        "manage/custom-fields/<int:pk>/edit/",
        views_custom_fields.custom_field_edit,
        name="custom-field-edit",
    ),
    path(
        "manage/custom-fields/<int:pk>/delete/",
        views_custom_fields.custom_field_delete_page,
        name="custom-field-delete",
    ),
    path("profile/", views.profile, name="profile"),
    path("notifications/", views_notifications.notification_list, name="notification-list"),
    path(
        "notifications/<int:pk>/open/",
        views_notifications.notification_open,
        name="notification-open",
    ),
    path("notifications/read/", views_notifications.notification_read, name="notification-read"),
    path("imports/new/", views_transfer.import_new, name="import-new"),
    path("imports/<int:pk>/", views_transfer.import_detail, name="import-detail"),
    path("imports/<int:pk>/run/", views_transfer.import_run, name="import-run"),
    path("imports/<int:pk>/progress/", views_transfer.import_progress, name="import-progress"),
    path("imports/<int:pk>/report/", views_transfer.import_report, name="import-report"),
    path("exports/<slug:target>/", views_transfer.export_records, name="export"),
    path("manage/", views_admin.admin_home, name="admin-home"),
    path("manage/users/", views_admin.user_list, name="admin-users"),
    path("manage/users/new/", views_admin.user_create, name="admin-user-create"),
    path("manage/users/<int:pk>/edit/", views_admin.user_edit, name="admin-user-edit"),
    path(
        "manage/users/<int:pk>/deactivate/",
        views_admin.user_deactivate,
        name="admin-user-deactivate",
    ),
    path("manage/teams/", views_admin.team_list, name="admin-teams"),
    path("manage/teams/new/", views_admin.team_create, name="admin-team-create"),
    path("manage/teams/<int:pk>/edit/", views_admin.team_edit, name="admin-team-edit"),
    path("manage/teams/<int:pk>/delete/", views_admin.team_delete, name="admin-team-delete"),
    path("manage/territories/", views_admin.territory_list, name="admin-territories"),
    path("manage/territories/new/", views_admin.territory_create, name="admin-territory-create"),
    path(
        "manage/territories/<int:pk>/edit/",
        views_admin.territory_edit,
        name="admin-territory-edit",
    ),
    path(
        "manage/territories/<int:pk>/delete/",
        views_admin.territory_delete,
        name="admin-territory-delete",
    ),
    path("manage/organisations/", views_admin.organisation_list, name="admin-organisations"),
    path(
        "manage/organisations/new/",
        views_admin.organisation_create,
        name="admin-organisation-create",
    ),
    path(
        "manage/organisations/<int:pk>/edit/",
        views_admin.organisation_edit,
        name="admin-organisation-edit",
    ),
    path("my-users/", views_admin.my_user_list, name="my-users"),
    path("my-users/new/", views_admin.my_user_create, name="my-user-create"),
    path("my-users/<int:pk>/edit/", views_admin.my_user_edit, name="my-user-edit"),
    path(
        "my-users/<int:pk>/deactivate/", views_admin.my_user_deactivate, name="my-user-deactivate"
    ),
]
