"""Web pages of the partners app: the incentives part (incentive plans, scorecards and their
comparison, the partner portal home)."""

from django.urls import path

from allyance.partners.views import incentives as views

urlpatterns = [
    path("portal/", views.portal_home, name="portal-home"),
    path("partners/incentives/", views.incentive_plan_list, name="incentive-plan-list"),
    path("partners/incentives/new/", views.incentive_plan_create, name="incentive-plan-create"),
    path("partners/incentives/<int:pk>/", views.incentive_plan_edit, name="incentive-plan-edit"),
    path(
        "partners/incentives/<int:pk>/delete/",
        views.incentive_plan_delete,
        name="incentive-plan-delete",
    ),
    path("partners/scorecard/", views.scorecard, name="scorecard"),
    path("partners/scorecards/", views.scorecard_compare, name="scorecard-compare"),
    path(
        "partners/scorecards/export/",
        views.scorecard_compare_export,
        name="scorecard-compare-export",
    ),
]
