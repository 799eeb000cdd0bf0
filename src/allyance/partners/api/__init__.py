"""REST API of the partners app, one module per part; `register` adds them to the router."""

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    from allyance.partners.api import (
        distribution,
        handover,
        incentives,
        mdf,
        ordering,
        programme,
        registrations,
        training,
    )

    for module in (
        programme,
        distribution,
        registrations,
        mdf,
        ordering,
        handover,
        training,
        incentives,
    ):
        for prefix, viewset, basename in module.ROUTES:
            router.register(prefix, viewset, basename=basename)
