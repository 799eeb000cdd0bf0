from django.urls import path

from allyance.activities import views, views_calendar

app_name = "activities"

urlpatterns = [
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/new/", views.activity_create, name="activity-create"),
    path("activities/<int:pk>/", views.activity_edit, name="activity-edit"),
    path("calendar/", views_calendar.calendar, name="calendar"),
    path("calendar/events/", views_calendar.calendar_events, name="calendar-events"),
    path("calendar/events/<int:pk>/move/", views_calendar.calendar_move, name="calendar-move"),
    path(
        "calendar/invitations/<int:pk>/respond/",
        views_calendar.invitation_respond,
        name="invitation-respond",
    ),
    path("calendar/feed/token/", views_calendar.calendar_feed_token, name="calendar-feed-token"),
    path("calendar/feed/<str:token>.ics", views_calendar.calendar_feed, name="calendar-feed"),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<int:pk>/done/", views.task_done, name="task-done"),
]
