"""Web pages of the partners app: the training part (courses, certifications, the content
library, announcements)."""

from django.urls import path

from allyance.partners.views import training as views

urlpatterns = [
    path("partners/courses/", views.course_list, name="course-list"),
    path("partners/courses/new/", views.course_create, name="course-create"),
    path("partners/courses/<int:pk>/", views.course_detail, name="course-detail"),
    path("partners/courses/<int:pk>/edit/", views.course_edit, name="course-edit"),
    path("partners/courses/<int:pk>/delete/", views.course_delete, name="course-delete"),
    path(
        "partners/course-attempts/<int:pk>/",
        views.course_attempt_detail,
        name="course-attempt-detail",
    ),
    path("partners/certifications/", views.certification_list, name="certification-list"),
    path("partners/certifications/new/", views.certification_create, name="certification-create"),
    path(
        "partners/certifications/<int:pk>/edit/",
        views.certification_edit,
        name="certification-edit",
    ),
    path(
        "partners/certifications/<int:pk>/delete/",
        views.certification_delete,
        name="certification-delete",
    ),
    path("partners/content/", views.content_list, name="content-list"),
    path("partners/content/new/", views.content_create, name="content-create"),
    path("partners/content/<int:pk>/edit/", views.content_edit, name="content-edit"),
    path("partners/content/<int:pk>/delete/", views.content_delete, name="content-delete"),
    path("partners/content/<int:pk>/download/", views.content_download, name="content-download"),
    path("partners/announcements/", views.announcement_list, name="announcement-list"),
    path("partners/announcements/new/", views.announcement_create, name="announcement-create"),
    path(
        "partners/announcements/<int:pk>/edit/", views.announcement_edit, name="announcement-edit"
    ),
    path(
        "partners/announcements/<int:pk>/delete/",
        views.announcement_delete,
        name="announcement-delete",
    ),
]
