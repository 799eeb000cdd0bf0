"""Import targets of the partner programme: partner organisations, deal registrations and MDF
allocations, registered with core's import machinery in `PartnersConfig.ready()`.

Every row is saved through the partners' own services, so the rules, conflict checks,
notifications and audit trail are those of a record typed in. Names in a file (a partner, a
tier, a channel manager) are looked up only among what the importing user may see or manage,
and a name that is not found gets the same message whether it exists elsewhere or not.
"""

from django.urls import reverse

from allyance.core.imports import Target, register_target
from allyance.core.models import User
from allyance.partners.imports.mdf import ALLOCATIONS
from allyance.partners.imports.programme import PARTNERS
from allyance.partners.imports.registrations import REGISTRATIONS

__all__ = [
    "ALLOCATIONS",
    "PARTNERS",
    "REGISTRATIONS",
    "import_url",
    "register_import_targets",
]


def register_import_targets() -> None:
    """Offer the programme's records to the import pages (called from `ready()`)."""
    for target in (PARTNERS, REGISTRATIONS, ALLOCATIONS):
        register_target(target)


def import_url(target: Target, user: User) -> str | None:
    """The import page for `target`, for list pages to link to when `user` may import."""
    if not target.importable_by(user):
        return None
    return f"{reverse('core:import-new')}?target={target.key}"
