"""Web pages of the partners app: programme, portal, lead distribution, deal registration,
MDF, indirect ordering, orders handed down the channel, training and content, scorecards and
incentives (one module each)."""

from allyance.partners.urls import (
    distribution,
    handover,
    incentives,
    mdf,
    ordering,
    programme,
    registrations,
    training,
)

app_name = "partners"

urlpatterns = [
    *programme.urlpatterns,
    *distribution.urlpatterns,
    *registrations.urlpatterns,
    *mdf.urlpatterns,
    *ordering.urlpatterns,
    *handover.urlpatterns,
    *training.urlpatterns,
    *incentives.urlpatterns,
]
