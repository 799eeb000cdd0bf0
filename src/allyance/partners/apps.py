from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "allyance.partners"
    label = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # Each part registers its search documents, timeline sources and signals here.
        self._ready_programme()

    def _ready_programme(self) -> None:
        from allyance.core import search
        from allyance.core.models import Organisation
        from allyance.partners.models import PartnerAgreement
        from allyance.partners.selectors.programme import (
            agreement_search_document,
            agreements_visible_to,
        )

        search.register(
            PartnerAgreement,
            document=agreement_search_document,
            select_related=("organisation",),
            follows={Organisation: "organisation"},
            selector=agreements_visible_to,
            group="partner_agreements",
        )
