"""Schemathesis fuzzes every operation of the OpenAPI schema, in process through WSGI, as an
administrator and as a partner user: no input, valid or not, may cause a server error.

Run it on PostgreSQL too (`DATABASE_URL=postgres://…`): that is where NUL characters and
integer overflows show. The settings keep the run deterministic and a few minutes long;
`ALLYANCE_FUZZ_COVERAGE=1` adds schemathesis' coverage phase, which walks every boundary
value of every field (about a thousand requests per operation) for a deeper, slower run.
"""

import os

import pytest
import schemathesis
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from allyance.core.attachments import attachment_add
from allyance.core.models import AuditEntry, CustomField, Role, User
from allyance.customers.models import Account
from allyance.wsgi import application
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    OrganisationFactory,
    TeamFactory,
    TerritoryFactory,
    UserFactory,
)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
schema.config.phases.update(
    phases=["examples", "fuzzing"]
    + (["coverage"] if os.environ.get("ALLYANCE_FUZZ_COVERAGE") else [])
)

# Each operation runs against its own committed data, as in production (no test transaction
# for the WSGI handler to trip over).
pytestmark = pytest.mark.django_db(transaction=True)


def seed(user: User) -> dict[str, list[int]]:
    """A few rows of every kind the user can reach, so generated ids sometimes hit them."""
    organisation = user.organisation
    account = AccountFactory(organisation=organisation, owner=user)
    contact = ContactFactory(organisation=organisation, owner=user, account=account)
    activity = ActivityFactory(organisation=organisation, owner=user, account=account)
    colleague = UserFactory(role=user.role, organisation=organisation)
    team = TeamFactory()
    team.members.add(colleague)
    territory = TerritoryFactory()
    attachment = attachment_add(
        target=account, uploaded_file=SimpleUploadedFile("note.txt", b"hello"), by=user
    )
    custom_field = CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Account), name="region", label="Region"
    )
    return {
        "accounts": [account.pk, AccountFactory(organisation=organisation).pk],
        "contacts": [contact.pk],
        "activities": [activity.pk],
        "organisations": [organisation.pk],
        "users": [colleague.pk, user.pk],
        "teams": [team.pk],
        "territories": [territory.pk],
        "attachments": [attachment.pk],
        "custom-fields": [custom_field.pk],
        "audit": list(AuditEntry.objects.values_list("pk", flat=True)[:5]),
    }


@pytest.fixture(params=["admin", "partner"])
def caller(request, settings) -> tuple[User, dict[str, list[int]]]:
    """An administrator or a partner user, with rows of their own to aim at."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if request.param == "admin":
        user = UserFactory(role=Role.ADMIN, is_superuser=True, is_staff=True)
    else:
        user = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    return user, seed(user)


def aim_at_seeded_rows(case, ids: dict[str, list[int]]) -> None:
    """Point every other generated integer id at a real row, so reads, updates and deletes
    of existing records are fuzzed too, not only 404s."""
    generated = str((case.path_parameters or {}).get("id", ""))
    rows = ids.get(case.path.removeprefix("/api/v1/").split("/")[0])
    if rows and generated.isdigit() and int(generated) % 2 == 0:
        case.path_parameters["id"] = str(rows[(int(generated) // 2) % len(rows)])


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_causes_a_server_error(case, caller):
    user, ids = caller
    aim_at_seeded_rows(case, ids)
    cache.clear()  # the per-user throttle must not turn the run into 429s
    key = Token.objects.get_or_create(user=user)[0].key  # POST /tokens/ replaces the key
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=[not_a_server_error])
