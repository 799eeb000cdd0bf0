from django.urls import path

from allyance.core import views, views_admin

app_name = "core"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("profile/", views.profile, name="profile"),
    path("manage/", views_admin.admin_home, name="admin-home"),
]
