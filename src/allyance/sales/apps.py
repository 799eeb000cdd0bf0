from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "allyance.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        self._ready_expenses()
        self._ready_leads()
        self._ready_opportunities()

    def _ready_leads(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from allyance.activities.models import Activity
        from allyance.core import search
        from allyance.sales.models import Lead
        from allyance.sales.selectors.leads import lead_search_document, leads_visible_to
        from allyance.sales.services.scoring import activity_changed

        search.register(
            Lead, document=lead_search_document, selector=leads_visible_to, group="leads"
        )
        # Activities live in their own app; a lead's score follows the ones logged on it.
        post_save.connect(activity_changed, sender=Activity, dispatch_uid="sales_lead_score")
        post_delete.connect(activity_changed, sender=Activity, dispatch_uid="sales_lead_score")

    def _ready_opportunities(self) -> None:
        from allyance.core import search
        from allyance.customers.models import Account
        from allyance.sales.models import Opportunity
        from allyance.sales.selectors.opportunities import (
            opportunities_visible_to,
            opportunity_search_document,
        )

        search.register(
            Opportunity,
            document=opportunity_search_document,
            select_related=("account",),
            follows={Account: "account"},
            selector=opportunities_visible_to,
            group="opportunities",
        )

    def _ready_expenses(self) -> None:
        from allyance.core import search
        from allyance.customers.models import Account
        from allyance.sales.models import Expense, Opportunity
        from allyance.sales.selectors.expenses import (
            expense_search_document,
            expenses_visible_to,
        )

        search.register(
            Expense,
            document=expense_search_document,
            select_related=("account", "opportunity"),
            follows={Account: "account", Opportunity: "opportunity"},
            selector=expenses_visible_to,
            group="expenses",
        )
