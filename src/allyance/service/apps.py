from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "allyance.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        self._ready_cases()

    def _ready_cases(self) -> None:
        from allyance.core import search, timeline
        from allyance.customers.models import Account
        from allyance.service.models import Case
        from allyance.service.selectors import (
            account_case_timeline,
            case_search_document,
            cases_visible_to,
        )

        search.register(
            Case,
            document=case_search_document,
            select_related=("account",),
            follows={Account: "account"},
            selector=cases_visible_to,
            group="cases",
        )
        # An account's timeline shows its service requests and warranty claims.
        timeline.register_source(Account, account_case_timeline)
