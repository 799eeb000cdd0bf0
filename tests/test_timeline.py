"""The record timeline: activities, readable field changes and attachments, newest first."""

import pytest
from django.core.files.base import ContentFile

from allyance.activities.selectors import activities_visible_to
from allyance.core.audit import acting_as
from allyance.core.models import Attachment
from allyance.core.services import records_add_tag
from allyance.core.timeline import timeline_for
from tests.factories import AccountFactory, ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_timeline_merges_activities_changes_and_files_newest_first(rep):
    new_owner = UserFactory(first_name="Nina", last_name="New")
    with acting_as(rep):
        account = AccountFactory(owner=rep, industry="retail")
        ActivityFactory(account=account, subject="First call", owner=rep)
        account.owner = new_owner
        account.industry = "finance"
        account.save()
    Attachment.objects.create(
        target=account,
        file=ContentFile(b"x", name="offer.pdf"),
        name="offer.pdf",
        size=1,
        mime_type="application/pdf",
        uploaded_by=rep,
    )
    items = timeline_for(account, activities=activities_visible_to(rep).filter(account=account))
    kinds = [item.kind for item in items]
    assert kinds[0] == "attachment"
    assert set(kinds) == {"attachment", "change", "activity"}
    assert [item.at for item in items] == sorted((item.at for item in items), reverse=True)
    update = next(item for item in items if item.kind == "change" and item.item.action == "update")
    shown = {change.label: (change.before, change.after) for change in update.changes}
    assert shown["owner"] == (str(rep), "Nina New")
    assert shown["industry"] == ("Retail", "Finance")


def test_account_page_shows_tag_change_in_timeline(client, rep):
    account = AccountFactory(owner=rep)
    records_add_tag(records=[account], tag_name="VIP", by=rep)
    client.force_login(rep)
    page = client.get(account.get_absolute_url()).content.decode()
    assert "added: VIP" in page


def test_custom_field_changes_show_by_label(rep):
    from django.contrib.contenttypes.models import ContentType

    from allyance.core.models import CustomField
    from allyance.customers.models import Account

    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Account),
        name="vip_level",
        label="VIP level",
        type=CustomField.Type.CHOICE,
        choices=["gold", "silver"],
    )
    with acting_as(rep):
        account = AccountFactory(owner=rep, custom_fields={"vip_level": "silver"})
        account.custom_fields = {"vip_level": "gold"}
        account.save()
    items = timeline_for(account, activities=activities_visible_to(rep).none())
    update = next(item for item in items if item.kind == "change" and item.item.action == "update")
    assert [(c.label, c.before, c.after) for c in update.changes] == [
        ("VIP level", "silver", "gold")
    ]


def test_phones_are_shown_in_international_format(client, rep):
    from tests.factories import ContactFactory

    account = AccountFactory(owner=rep, phone="+862134179193")
    ContactFactory(owner=rep, account=account, mobile="+8613812345678")
    client.force_login(rep)
    assert "+86 21 3417 9193" in client.get(account.get_absolute_url()).content.decode()
    assert "+86 138 1234 5678" in client.get("/contacts/").content.decode()
