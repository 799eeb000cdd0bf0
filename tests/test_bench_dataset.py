"""The benchmark dataset generator at its tiny scale: seeded, bilingual, stored as services store."""

import re

import phonenumbers
import pytest
from bench.dataset import generate, sizes_for
from django.db import transaction
from django.db.models import F

from allyance.activities.models import Activity
from allyance.core.models import Organisation, Role, User
from allyance.core.search import search_queryset
from allyance.customers.models import Account, Contact
from allyance.sales.models import Lead, Opportunity, StageChange

pytestmark = pytest.mark.django_db


def quiet(_line: str) -> None:
    """The generator's progress lines are not part of what is tested."""


def snapshot() -> list[tuple]:
    return list(
        Contact.objects.order_by("email", "family_name", "given_name").values_list(
            "family_name", "given_name", "email", "mobile", "account__name", "updated_at"
        )
    )


def test_bench_dataset_loads_the_sizes_of_its_scale_with_owners_and_territories():
    sizes = sizes_for("tiny")
    generate("tiny", seed=7, log=quiet)

    assert Contact.objects.count() == sizes.contacts
    assert Account.objects.count() == sizes.accounts
    assert Activity.objects.count() == sizes.activities
    assert Organisation.objects.filter(kind=Organisation.Kind.PARTNER).count() == sizes.partners
    assert User.objects.filter(role=Role.PARTNER_USER).count() == sizes.partners
    assert Lead.objects.count() == sizes.leads
    assert Opportunity.objects.count() == sizes.opportunities
    assert not Contact.objects.filter(owner__isnull=True).exists()
    assert not Account.objects.filter(territory__isnull=True).exists()
    partner_owned = Contact.objects.exclude(organisation=Organisation.company())
    assert partner_owned.exists()
    assert not partner_owned.exclude(owner__organisation=F("organisation"))
    assert not partner_owned.exclude(owner__role__in=[Role.PARTNER_USER, Role.PARTNER_ADMIN])


def test_bench_dataset_stores_phones_in_e164_and_emails_in_lower_case():
    generate("tiny", seed=7, log=quiet)

    for mobile, email in Contact.objects.exclude(mobile="").values_list("mobile", "email"):
        number = phonenumbers.parse(mobile)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == mobile
        assert email == email.lower()
    assert Contact.objects.filter(email__contains="@").count() > sizes_for("tiny").contacts // 2


def test_bench_dataset_is_bilingual_and_in_the_search_index():
    generate("tiny", seed=7, log=quiet)

    chinese = Contact.objects.filter(family_name__regex=r"^[\u4e00-\u9fff]+$").first()
    assert chinese is not None
    assert Contact.objects.filter(family_name__regex=r"^[A-Za-zü]+$").exists()
    found = search_queryset(Contact.objects.all(), chinese.family_name + chinese.given_name)
    assert chinese in found
    company = Account.objects.filter(name__regex=r"有限公司").first()
    assert company in search_queryset(
        Account.objects.all(), re.sub(r"有限公司.*", "", company.name)
    )


def test_bench_dataset_is_the_same_for_the_same_seed_and_differs_for_another():
    with transaction.atomic():
        generate("tiny", seed=3, log=quiet)
        first = snapshot()
        transaction.set_rollback(True)
    with transaction.atomic():
        generate("tiny", seed=3, log=quiet)
        second = snapshot()
        transaction.set_rollback(True)
    generate("tiny", seed=4, log=quiet)

    assert first == second
    assert snapshot() != first


def test_bench_deals_have_a_stage_history_that_ends_in_their_stage():
    generate("tiny", seed=7, log=quiet)

    outcomes = set(Opportunity.objects.values_list("outcome", flat=True))
    assert {"open", "won"} <= outcomes
    for deal in Opportunity.objects.select_related("stage").prefetch_related("stage_changes"):
        changes = list(deal.stage_changes.all())
        assert changes[0].from_stage_id is None
        assert changes[-1].to_stage_id == deal.stage_id
        assert deal.outcome == deal.stage.outcome
        assert (deal.closed_at is not None) == (deal.outcome != "open")
    assert StageChange.objects.filter(seconds_in_from_stage__gt=0).exists()
