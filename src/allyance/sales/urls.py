"""Web pages of the sales app; each part adds its own paths."""

from django.urls import path  # noqa: F401

app_name = "sales"

urlpatterns: list = []

from allyance.sales.views import leads as lead_views  # noqa: E402

urlpatterns += [
    path("leads/", lead_views.lead_list, name="lead-list"),
    path("leads/new/", lead_views.lead_create, name="lead-create"),
    path("leads/<int:pk>/", lead_views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/edit/", lead_views.lead_edit, name="lead-edit"),
    path("leads/<int:pk>/convert/", lead_views.lead_convert, name="lead-convert"),
    path("leads/<int:pk>/log-activity/", lead_views.lead_log_activity, name="lead-log-activity"),
    path("leads/scoring-rules/", lead_views.scoring_rule_list, name="scoring-rule-list"),
    path("leads/scoring-rules/new/", lead_views.scoring_rule_create, name="scoring-rule-create"),
    path("leads/scoring-rules/<int:pk>/", lead_views.scoring_rule_edit, name="scoring-rule-edit"),
    path(
        "leads/scoring-rules/<int:pk>/delete/",
        lead_views.scoring_rule_delete,
        name="scoring-rule-delete",
    ),
]

from allyance.sales.views import expenses as expense_views  # noqa: E402

urlpatterns += [
    path("expenses/", expense_views.expense_list, name="expense-list"),
    path("expenses/new/", expense_views.expense_create, name="expense-create"),
    path("expenses/<int:pk>/", expense_views.expense_detail, name="expense-detail"),
    path("expenses/<int:pk>/edit/", expense_views.expense_edit, name="expense-edit"),
    path(
        "expenses/<int:pk>/decision/",
        expense_views.expense_transition,
        name="expense-transition",
    ),
]

from allyance.sales.views import routing as routing_views  # noqa: E402
from allyance.sales.views import territories as territory_views  # noqa: E402

urlpatterns += [
    path("leads/routing-rules/", routing_views.assignment_rule_list, name="assignment-rule-list"),
    path(
        "leads/routing-rules/new/",
        routing_views.assignment_rule_create,
        name="assignment-rule-create",
    ),
    path(
        "leads/routing-rules/<int:pk>/",
        routing_views.assignment_rule_edit,
        name="assignment-rule-edit",
    ),
    path(
        "leads/routing-rules/<int:pk>/delete/",
        routing_views.assignment_rule_delete,
        name="assignment-rule-delete",
    ),
    path(
        "leads/routing-rules/<int:pk>/move/",
        routing_views.assignment_rule_move,
        name="assignment-rule-move",
    ),
    path("leads/queue/", routing_views.lead_queue_list, name="lead-queue-list"),
    path("leads/route/", routing_views.lead_route, name="lead-route"),
    path("territories/reassign/", territory_views.territory_reassign, name="territory-reassign"),
]

from allyance.sales.views import commissions as commission_views  # noqa: E402

urlpatterns += [
    path("commissions/", commission_views.commission_statement, name="commission-statement"),
    path("commissions/team/", commission_views.commission_team, name="commission-team"),
    path("commissions/export/", commission_views.commission_export, name="commission-export"),
    path("commission-plans/", commission_views.commission_plan_list, name="commission-plan-list"),
    path(
        "commission-plans/new/",
        commission_views.commission_plan_create,
        name="commission-plan-create",
    ),
    path(
        "commission-plans/<int:pk>/",
        commission_views.commission_plan_edit,
        name="commission-plan-edit",
    ),
]

from allyance.sales.views import reports as report_views  # noqa: E402
from allyance.sales.views import targets as target_views  # noqa: E402

urlpatterns += [
    path("sales/forecast/", report_views.forecast, name="forecast"),
    path("sales/funnel/", report_views.funnel, name="funnel"),
    path("sales/performance/", report_views.performance, name="performance"),
    path("sales/targets/", target_views.target_list, name="target-list"),
    path("sales/targets/new/", target_views.target_create, name="target-create"),
    path("sales/targets/<int:pk>/", target_views.target_edit, name="target-edit"),
    path("sales/targets/<int:pk>/delete/", target_views.target_delete_page, name="target-delete"),
    path("sales/alert-settings/", target_views.alert_settings, name="alert-settings"),
]

from allyance.sales.views import opportunities as opportunity_views  # noqa: E402
from allyance.sales.views import pipelines as pipeline_views  # noqa: E402

urlpatterns += [
    path("opportunities/", opportunity_views.opportunity_list, name="opportunity-list"),
    path("opportunities/board/", opportunity_views.opportunity_board, name="opportunity-board"),
    path("opportunities/new/", opportunity_views.opportunity_create, name="opportunity-create"),
    path(
        "opportunities/<int:pk>/", opportunity_views.opportunity_detail, name="opportunity-detail"
    ),
    path(
        "opportunities/<int:pk>/edit/", opportunity_views.opportunity_edit, name="opportunity-edit"
    ),
    path(
        "opportunities/<int:pk>/move/", opportunity_views.opportunity_move, name="opportunity-move"
    ),
    path(
        "opportunities/<int:pk>/contacts/",
        opportunity_views.opportunity_contact_add,
        name="opportunity-contact-add",
    ),
    path(
        "opportunities/<int:pk>/contacts/<int:link_pk>/remove/",
        opportunity_views.opportunity_contact_remove,
        name="opportunity-contact-remove",
    ),
    path(
        "opportunities/<int:pk>/log-activity/",
        opportunity_views.opportunity_log_activity,
        name="opportunity-log-activity",
    ),
    path("pipelines/", pipeline_views.pipeline_list, name="pipeline-list"),
    path("pipelines/new/", pipeline_views.pipeline_create, name="pipeline-create"),
    path("pipelines/<int:pk>/", pipeline_views.pipeline_detail, name="pipeline-detail"),
    path("pipelines/<int:pk>/edit/", pipeline_views.pipeline_edit, name="pipeline-edit"),
    path("pipelines/<int:pk>/delete/", pipeline_views.pipeline_delete, name="pipeline-delete"),
    path("pipelines/<int:pk>/stages/new/", pipeline_views.stage_create, name="stage-create"),
    path("stages/<int:pk>/", pipeline_views.stage_edit, name="stage-edit"),
    path("stages/<int:pk>/delete/", pipeline_views.stage_delete, name="stage-delete"),
]
