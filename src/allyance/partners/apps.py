from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "allyance.partners"
    label = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # Each part registers its search documents, timeline sources and signals here.
        self._ready_programme()
        self._ready_mdf()
        self._ready_registrations()
        self._ready_training()
        self._ready_imports()

    def _ready_imports(self) -> None:
        from allyance.partners.imports import register_import_targets

        register_import_targets()

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

    def _ready_registrations(self) -> None:
        from allyance.core import search
        from allyance.partners.models import DealRegistration
        from allyance.partners.selectors.registrations import (
            registration_search_document,
            registrations_visible_to,
        )

        search.register(
            DealRegistration,
            document=registration_search_document,
            selector=registrations_visible_to,
            group="deal_registrations",
        )

    def _ready_mdf(self) -> None:
        from allyance.core import search
        from allyance.partners.models import MdfClaim, MdfRequest
        from allyance.partners.selectors.mdf import (
            claim_search_document,
            claims_visible_to,
            request_search_document,
            requests_visible_to,
        )

        search.register(
            MdfRequest,
            document=request_search_document,
            select_related=("organisation",),
            selector=requests_visible_to,
            group="mdf_requests",
        )
        search.register(
            MdfClaim,
            document=claim_search_document,
            select_related=("organisation", "request"),
            selector=claims_visible_to,
            group="mdf_claims",
        )

    def _ready_training(self) -> None:
        from allyance.core import search
        from allyance.partners.models import ContentItem, Course
        from allyance.partners.selectors.training import (
            content_item_search_document,
            content_items_visible_to,
            course_search_document,
            courses_visible_to,
        )

        search.register(
            Course, document=course_search_document, selector=courses_visible_to, group="courses"
        )
        search.register(
            ContentItem,
            document=content_item_search_document,
            selector=content_items_visible_to,
            group="content_items",
        )
