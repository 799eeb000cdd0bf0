"""Web pages of the partners app: the distribution part."""

from django.urls import path

from allyance.partners.views import distribution as views

urlpatterns: list = [
    path("distribution/", views.distribution_list, name="distribution-list"),
    path("distribution/<int:pk>/accept/", views.distribution_accept, name="distribution-accept"),
    path("distribution/<int:pk>/reject/", views.distribution_reject, name="distribution-reject"),
    path("distribution/<int:pk>/recall/", views.distribution_recall, name="distribution-recall"),
    path("distribution/report/", views.distribution_report, name="distribution-report"),
    path("distribution/rules/", views.distribution_rule_list, name="distribution-rule-list"),
    path(
        "distribution/rules/new/",
        views.distribution_rule_create,
        name="distribution-rule-create",
    ),
    path(
        "distribution/rules/<int:pk>/edit/",
        views.distribution_rule_edit,
        name="distribution-rule-edit",
    ),
    path(
        "distribution/rules/<int:pk>/delete/",
        views.distribution_rule_delete,
        name="distribution-rule-delete",
    ),
    path(
        "distribution/leads/<int:pk>/distribute/",
        views.lead_distribute,
        name="lead-distribute",
    ),
    path(
        "distribution/leads/<int:pk>/distribute-by-rules/",
        views.lead_distribute_by_rules,
        name="lead-distribute-by-rules",
    ),
]
