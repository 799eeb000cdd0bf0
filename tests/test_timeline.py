"""The record timeline: activities, readable field changes and attachments, newest first."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

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


def test_timeline_pages_cover_every_entry_once_newest_first(rep):
    with acting_as(rep):
        account = AccountFactory(owner=rep)
    start = timezone.now() - datetime.timedelta(days=100)
    for day in range(70):
        ActivityFactory(
            account=account,
            owner=rep,
            subject=f"Visit {day}",
            starts_at=start + datetime.timedelta(days=day),
        )
    activities = activities_visible_to(rep).filter(account=account)
    pages = [timeline_for(account, activities=activities, page=number) for number in (1, 2, 3)]
    assert [len(page) for page in pages] == [30, 30, 11]  # 70 visits and the account's creation
    assert [page.has_older for page in pages] == [True, True, False]
    shown = [entry for page in pages for entry in page]
    assert [entry.at for entry in shown] == sorted((entry.at for entry in shown), reverse=True)
    subjects = [entry.item.subject for entry in shown if entry.kind == "activity"]
    assert subjects == [f"Visit {day}" for day in reversed(range(70))]
    assert [entry.item.action for entry in shown if entry.kind == "change"] == ["create"]


def test_record_page_links_to_older_and_newer_timeline_pages(client, rep):
    account = AccountFactory(owner=rep)
    ActivityFactory.create_batch(31, account=account, owner=rep)
    client.force_login(rep)
    first = client.get(account.get_absolute_url()).content.decode()
    assert 'href="?timeline=2#timeline"' in first and 'data-testid="timeline-newer"' not in first
    second = client.get(account.get_absolute_url(), {"timeline": "2"}).content.decode()
    assert 'href="?timeline=1#timeline"' in second
    assert 'data-testid="timeline-older"' not in second
    assert client.get(account.get_absolute_url(), {"timeline": "x"}).status_code == 200


def test_account_page_queries_do_not_grow_with_its_contacts_and_activities(client, rep):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ContactFactory

    client.force_login(rep)

    def queries_for(account) -> int:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(account.get_absolute_url())
        assert page.status_code == 200
        return len(captured.captured_queries)

    small, big = AccountFactory(owner=rep), AccountFactory(owner=rep)
    ContactFactory(account=small, owner=rep)
    ActivityFactory(account=small, owner=rep)
    ContactFactory.create_batch(25, account=big, owner=rep, title="Buyer")
    ActivityFactory.create_batch(25, account=big, owner=rep)
    queries_for(small)  # warm the per-process caches (content types, custom fields)
    assert queries_for(big) == queries_for(small)
    page = client.get(big.get_absolute_url()).content.decode()
    assert page.count("Buyer") >= 25


def test_an_accounts_timeline_is_read_from_its_index_not_sorted_whole(rep):
    """A busy account has thousands of activities; the newest page is read from the index
    (account, time shown, id) on either database, not by sorting all of them."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    account = AccountFactory(owner=rep)
    ActivityFactory.create_batch(3, account=account, owner=rep)
    with CaptureQueriesContext(connection) as queries:
        timeline_for(account, activities=activities_visible_to(rep).filter(account=account))
    sql = next(q["sql"] for q in queries if 'FROM "activities_activity"' in q["sql"])
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "activity_account_timeline" in plan and "TEMP B-TREE" not in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "activity_account_timeline" in plan and "Sort Key" not in plan, plan
            # The planner is told an account decides the organisation (migrations
            # activities 0005, customers 0005): else it expects 1/15 of a page's rows.
            cursor.execute("SELECT stxname FROM pg_statistic_ext ORDER BY stxname")
            assert [row[0] for row in cursor.fetchall()] == [
                "activities_activity_account_organisation",
                "customers_contact_account_organisation",
            ]
