"""Orders down the two-tier channel: the company hands an order to a distributor, the
distributor hands it on to a reseller, the holder ships it; hand back and recall before
anything ships; every hop recorded and audited; the distributor follows the order through its
hop; nobody else sees it; the order's revenue counts once, on its holder's card."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from allyance.core.models import AuditEntry, Notification, Organisation, Role, User
from allyance.core.visibility import visible_to
from allyance.orders.models import Order
from allyance.orders.services.fulfilment import (
    order_cancel,
    order_line_add,
    order_mark_delivered,
    order_save,
    shipment_record,
)
from allyance.orders.services.invoices import invoice_from_order
from allyance.orders.services.lines import recalculate
from allyance.partners.models import OrderHandover
from allyance.partners.selectors.handover import handovers_visible_to, shipping_progress
from allyance.partners.selectors.scorecards import scorecard
from allyance.partners.services.handover import (
    order_hand_back,
    order_hand_down,
    order_recall,
)
from tests.factories import (
    AccountFactory,
    OrderFactory,
    OrderLineFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = OrderHandover.Status
TODAY = datetime.date.today()


@pytest.fixture
def channel_manager(db):
    return UserFactory(role=Role.CHANNEL_MANAGER, username="cm")


@pytest.fixture
def admin(db):
    return UserFactory(role=Role.ADMIN, username="ops")


@pytest.fixture
def rep(db):
    return UserFactory(role=Role.SALES_REP, username="rep")


@pytest.fixture
def distributor(channel_manager):
    org = OrganisationFactory(
        name="Huadong Distribution",
        partner_type=Organisation.PartnerType.DISTRIBUTOR,
        channel_manager=channel_manager,
    )
    UserFactory(role=Role.PARTNER_ADMIN, organisation=org, username="d_admin")
    UserFactory(role=Role.PARTNER_USER, organisation=org, username="d_user")
    return org


@pytest.fixture
def reseller(distributor):
    org = OrganisationFactory(name="Jinqiao Systems", parent=distributor)
    UserFactory(role=Role.PARTNER_ADMIN, organisation=org, username="r_admin")
    UserFactory(role=Role.PARTNER_USER, organisation=org, username="r_user")
    return org


@pytest.fixture
def stranger(db):
    org = OrganisationFactory(name="Other Partner")
    UserFactory(role=Role.PARTNER_ADMIN, organisation=org, username="s_admin")
    return org


def admin_of(org):
    return User.objects.filter(organisation=org, role=Role.PARTNER_ADMIN).order_by("pk").first()


def user_of(org):
    return User.objects.filter(organisation=org, role=Role.PARTNER_USER).order_by("pk").first()


@pytest.fixture
def order(rep):
    """A company order of two lines (3 and 2 units at 100.00, 13 % tax), owned by the rep."""
    order = OrderFactory(owner=rep, account=AccountFactory(owner=rep), status="confirmed")
    OrderLineFactory(order=order, quantity=3)
    OrderLineFactory(order=order, quantity=2)
    recalculate(order)
    order.refresh_from_db()
    return order


def _reload(record):
    return type(record).objects.get(pk=record.pk)


def _down_the_chain(order, admin, distributor, reseller):
    first = order_hand_down(order=order, partner=distributor, by=admin, note="Ship from Shanghai")
    second = order_hand_down(order=order, partner=reseller, by=admin_of(distributor))
    return first, second


def _ship_all(order, by):
    order = _reload(order)
    return shipment_record(
        order,
        by=by,
        carrier="SF Express",
        tracking_number="SF100",
        lines={line.pk: line.quantity for line in order.lines.all()},
    )


# --- Handing down ---------------------------------------------------------------------------


def test_the_company_hands_an_order_to_a_distributor_who_is_told(
    order, admin, rep, distributor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        hop = order_hand_down(order=order, partner=distributor, by=admin, note="  Urgent  please ")
    order = _reload(order)
    assert (order.organisation_id, order.owner_id) == (distributor.pk, admin_of(distributor).pk)
    assert hop.hop == 1 and hop.status == Status.ACTIVE
    assert hop.from_organisation_id is None  # the company
    assert (hop.organisation_id, hop.owner_id, hop.previous_owner_id) == (
        distributor.pk,
        admin.pk,
        rep.pk,
    )
    assert hop.note == "Urgent please"
    told = Notification.objects.filter(kind="order_handed_down")
    assert {n.recipient_id for n in told} == {admin_of(distributor).pk, user_of(distributor).pk}
    assert order.number in told.first().message and "Urgent please" in told.first().message
    assert told.first().url == order.get_absolute_url()
    # Audited: the hop created and the order moved, both by the admin.
    hop_entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(OrderHandover), object_id=str(hop.pk)
    )
    assert hop_entry.action == "create" and hop_entry.actor_id == admin.pk
    moved = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Order),
        object_id=str(order.pk),
        action="update",
        actor=admin,
    ).latest("pk")
    assert moved.changes["organisation_id"] == [Organisation.company().pk, distributor.pk]
    assert moved.changes["owner_id"] == [rep.pk, admin_of(distributor).pk]


def test_the_distributor_hands_it_on_and_the_reseller_ships_and_delivers_it(
    order, admin, distributor, reseller
):
    first, second = _down_the_chain(order, admin, distributor, reseller)
    assert second.hop == 2 and second.from_organisation_id == distributor.pk
    assert second.owner_id == admin_of(distributor).pk
    assert second.previous_owner_id == admin_of(distributor).pk
    order = _reload(order)
    assert (order.organisation_id, order.owner_id) == (reseller.pk, admin_of(reseller).pk)
    assert _reload(first).status == Status.ACTIVE  # the distributor's hop goes on
    # The reseller's user ships the order and marks it delivered with the normal flow.
    _ship_all(order, user_of(reseller))
    order = order_mark_delivered(_reload(order), by=user_of(reseller))
    assert order.status == Order.Status.DELIVERED
    row = handovers_visible_to(admin_of(distributor)).get(pk=second.pk)
    assert shipping_progress(row) == Decimal("100")


def test_a_channel_manager_hands_down_only_to_the_partners_they_look_after(
    order, channel_manager, distributor, reseller, stranger
):
    with pytest.raises(PermissionDenied):
        order_hand_down(order=order, partner=stranger, by=channel_manager)
    assert _reload(order).organisation.is_company
    # The rep's order in no territory of theirs: a channel manager must see it too.
    order.owner = channel_manager
    order.save()
    hop = order_hand_down(order=order, partner=reseller, by=channel_manager)
    assert hop.organisation_id == reseller.pk  # below the partner they manage


@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.ADMIN])
def test_sales_managers_and_administrators_hand_orders_down_and_recall_them(
    role, order, distributor
):
    user = UserFactory(role=role)
    order.owner = user
    order.save()
    hop = order_hand_down(order=order, partner=distributor, by=user)
    # The order is the partner's now; the manager follows the hop they made and recalls it.
    assert _ids(handovers_visible_to(user)) == {hop.pk}
    order_recall(handover=hop, reason="Customer wants us", by=user)
    order = _reload(order)
    assert order.organisation.is_company and order.owner == user


def test_sales_reps_and_plain_partner_users_do_not_hand_orders_down(
    order, rep, admin, distributor, reseller
):
    with pytest.raises(PermissionDenied):
        order_hand_down(order=order, partner=distributor, by=rep)
    order_hand_down(order=order, partner=distributor, by=admin)
    with pytest.raises(PermissionDenied):
        order_hand_down(order=order, partner=reseller, by=user_of(distributor))
    assert _reload(order).organisation_id == distributor.pk


def test_a_distributor_hands_down_only_to_the_partners_directly_below_it(
    order, admin, distributor, reseller, stranger
):
    order_hand_down(order=order, partner=distributor, by=admin)
    with pytest.raises(PermissionDenied, match="directly below"):
        order_hand_down(order=order, partner=stranger, by=admin_of(distributor))
    below_reseller = OrganisationFactory(name="Tier three", parent=reseller)
    with pytest.raises(PermissionDenied):
        order_hand_down(order=order, partner=below_reseller, by=admin_of(distributor))
    reseller.status = Organisation.Status.SUSPENDED
    reseller.save()
    with pytest.raises(PermissionDenied):  # no active reseller: not a distributor any more
        order_hand_down(order=order, partner=reseller, by=admin_of(distributor))
    assert _reload(order).organisation_id == distributor.pk


def test_a_distributor_hands_down_only_an_order_it_holds(
    order, admin, distributor, reseller, stranger
):
    with pytest.raises(PermissionDenied):  # the company's: not even visible to it
        order_hand_down(order=order, partner=reseller, by=admin_of(distributor))
    # Visible (a reseller below shares it) but not held: refused as well.
    own = OrderFactory(organisation=reseller, account=AccountFactory(organisation=reseller))
    OrderLineFactory(order=own, quantity=1)
    with pytest.raises(PermissionDenied, match="does not hold"):
        order_hand_down(order=own, partner=reseller, by=admin_of(distributor))
    assert not OrderHandover.objects.exists()


def test_an_order_with_a_partner_already_is_recalled_before_the_company_hands_it_again(
    order, admin, distributor, stranger
):
    order_hand_down(order=order, partner=distributor, by=admin)
    with pytest.raises(ValidationError, match="recall it"):
        order_hand_down(order=order, partner=stranger, by=admin)


@pytest.mark.parametrize("status", ["shipped", "delivered", "closed", "cancelled"])
def test_a_shipped_delivered_closed_or_cancelled_order_is_not_handed_down(
    status, order, admin, distributor
):
    Order.objects.filter(pk=order.pk).update(status=status)
    with pytest.raises(ValidationError, match="Only a confirmed order"):
        order_hand_down(order=_reload(order), partner=distributor, by=admin)
    assert _reload(order).organisation.is_company


def test_a_partly_shipped_order_is_handed_down_for_the_rest(order, admin, rep, distributor):
    line = order.lines.order_by("pk").first()
    shipment_record(order, by=rep, lines={line.pk: 1})
    hop = order_hand_down(order=_reload(order), partner=distributor, by=admin)
    assert _reload(order).status == Order.Status.PARTLY_SHIPPED and hop.pk


def test_a_partners_portal_order_placed_with_the_company_is_not_handed_down(
    admin, distributor, reseller
):
    account = AccountFactory(organisation=distributor)
    portal = OrderFactory(organisation=distributor, account=account, end_customer=account)
    with pytest.raises(ValidationError, match="placed with the company"):
        order_hand_down(order=portal, partner=reseller, by=admin_of(distributor))
    with pytest.raises(ValidationError):  # nor by the company: it is not the company's to hold
        order_hand_down(order=portal, partner=reseller, by=admin)
    # …and the partner still may not ship it: the company fulfils it.
    OrderLineFactory(order=portal, quantity=1)
    with pytest.raises(PermissionDenied, match="company fulfils"):
        _ship_all(portal, admin_of(distributor))


def test_an_inactive_partner_or_one_without_users_gets_no_order(order, admin):
    empty = OrganisationFactory(name="Nobody home")
    with pytest.raises(ValidationError, match="no active user"):
        order_hand_down(order=order, partner=empty, by=admin)
    suspended = OrganisationFactory(name="Suspended", status=Organisation.Status.SUSPENDED)
    with pytest.raises(ValidationError, match="active partner"):
        order_hand_down(order=order, partner=suspended, by=admin)
    assert _reload(order).organisation.is_company and not OrderHandover.objects.exists()


def test_the_holder_fulfils_but_the_price_lines_bill_and_cancellation_stay_the_companys(
    order, admin, distributor, reseller
):
    _down_the_chain(order, admin, distributor, reseller)
    holder = admin_of(reseller)
    order = _reload(order)
    order.discount_percent = Decimal("50")
    with pytest.raises(PermissionDenied, match="handed to you to fulfil"):
        order_save(order=order, by=holder)
    with pytest.raises(PermissionDenied, match="handed to you to fulfil"):
        order_cancel(_reload(order), by=holder, reason="Not needed")
    with pytest.raises(PermissionDenied, match="handed to you to fulfil"):
        order_line_add(_reload(order), by=holder, description="Extra", quantity=1)
    with pytest.raises(PermissionDenied, match="hands to you"):
        invoice_from_order(_reload(order), by=holder)
    assert _reload(order).discount_percent == Decimal("0")
    # Shipping is the holder's.
    _ship_all(order, holder)
    assert _reload(order).status == Order.Status.SHIPPED


# --- Hand back and recall -------------------------------------------------------------------


def test_the_reseller_hands_the_order_back_to_the_distributor(
    order, admin, distributor, reseller, django_capture_on_commit_callbacks
):
    first, second = _down_the_chain(order, admin, distributor, reseller)
    with pytest.raises(ValidationError, match="Say why"):
        order_hand_back(handover=second, reason="   ", by=user_of(reseller))
    with django_capture_on_commit_callbacks(execute=True):
        ended = order_hand_back(handover=second, reason="No stock", by=user_of(reseller))
    assert ended.status == Status.RETURNED and ended.reason == "No stock"
    assert ended.ended_by == user_of(reseller) and ended.ended_at is not None
    order = _reload(order)
    assert (order.organisation_id, order.owner_id) == (distributor.pk, admin_of(distributor).pk)
    assert _reload(first).status == Status.ACTIVE
    told = Notification.objects.get(kind="order_handed_back")
    assert told.recipient == admin_of(distributor) and "No stock" in told.message
    assert AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(OrderHandover),
        object_id=str(second.pk),
        action="update",
        actor=user_of(reseller),
    ).exists()
    # Back with the distributor, which hands it back to the company in turn.
    order_hand_back(handover=first, reason="Customer moved", by=admin_of(distributor))
    order = _reload(order)
    assert order.organisation.is_company and order.owner == first.previous_owner


def test_hand_back_is_refused_once_shipped_ended_or_not_held(
    order, admin, distributor, reseller, stranger
):
    first, second = _down_the_chain(order, admin, distributor, reseller)
    with pytest.raises(ValidationError, match="recall it before"):
        order_hand_back(handover=first, reason="Too busy", by=admin_of(distributor))
    with pytest.raises(PermissionDenied):
        order_hand_back(handover=second, reason="Mine now", by=admin_of(stranger))
    with pytest.raises(PermissionDenied):
        order_hand_back(handover=second, reason="Mine now", by=admin)
    line = _reload(order).lines.order_by("pk").first()
    shipment_record(_reload(order), by=user_of(reseller), lines={line.pk: 1})
    with pytest.raises(ValidationError, match="shipped"):
        order_hand_back(handover=second, reason="No stock", by=user_of(reseller))
    assert _reload(second).status == Status.ACTIVE
    assert _reload(order).organisation_id == reseller.pk


def test_the_distributor_recalls_the_order_from_its_reseller(
    order, admin, distributor, reseller, django_capture_on_commit_callbacks
):
    first, second = _down_the_chain(order, admin, distributor, reseller)
    with pytest.raises(PermissionDenied):
        order_recall(handover=second, reason="Mine", by=admin_of(reseller))
    with pytest.raises(PermissionDenied):
        order_recall(handover=second, reason="Mine", by=user_of(distributor))
    with pytest.raises(ValidationError, match="Say why"):
        order_recall(handover=second, reason="", by=admin_of(distributor))
    with django_capture_on_commit_callbacks(execute=True):
        order_recall(handover=second, reason="Key account", by=admin_of(distributor))
    assert _reload(second).status == Status.RECALLED
    order = _reload(order)
    assert (order.organisation_id, order.owner_id) == (distributor.pk, admin_of(distributor).pk)
    told = Notification.objects.filter(kind="order_recalled")
    assert {n.recipient_id for n in told} == {admin_of(reseller).pk, user_of(reseller).pk}
    with pytest.raises(ValidationError, match="ended already"):
        order_hand_back(handover=_reload(second), reason="Late", by=user_of(reseller))


def test_the_company_recalls_the_whole_chain(order, admin, rep, distributor, reseller):
    first, second = _down_the_chain(order, admin, distributor, reseller)
    order_recall(handover=first, reason="Customer asked for us", by=admin)
    assert _reload(first).status == Status.RECALLED
    assert _reload(second).status == Status.RECALLED
    assert _reload(second).reason == "Customer asked for us"
    order = _reload(order)
    assert order.organisation.is_company and order.owner_id == rep.pk
    # Back with the company, it may go to another partner.
    again = order_hand_down(order=order, partner=reseller, by=admin)
    assert again.hop == 3 and again.from_organisation_id is None


def test_recall_is_refused_once_something_shipped(order, admin, distributor, reseller):
    first, second = _down_the_chain(order, admin, distributor, reseller)
    line = _reload(order).lines.order_by("pk").first()
    shipment_record(_reload(order), by=user_of(reseller), lines={line.pk: 1})
    for hop, by in ((first, admin), (second, admin_of(distributor))):
        with pytest.raises(ValidationError, match="no longer be recalled"):
            order_recall(handover=hop, reason="Too late", by=by)
    assert _reload(order).organisation_id == reseller.pk


def test_a_channel_manager_of_another_partner_does_not_recall(order, admin, distributor):
    first = order_hand_down(order=order, partner=distributor, by=admin)
    other = UserFactory(role=Role.CHANNEL_MANAGER)
    with pytest.raises(PermissionDenied):
        order_recall(handover=first, reason="Mine", by=other)


# --- Who sees what --------------------------------------------------------------------------


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("shares", [True, False])
def test_who_sees_the_order_and_its_hops(
    shares, order, admin, channel_manager, distributor, reseller, stranger
):
    reseller.shares_with_parent = shares
    reseller.save()
    first, second = _down_the_chain(order, admin, distributor, reseller)
    orders = Order.objects.filter(pk=order.pk)
    # The reseller holds it: the order and the hop handed to it, not the distributor's own.
    for user in (admin_of(reseller), user_of(reseller)):
        assert _ids(visible_to(user, orders)) == {order.pk}
        assert _ids(handovers_visible_to(user)) == {second.pk}
    # The distributor follows it through its hops, sharing or not; the order itself only when
    # the reseller shares its records upwards.
    for user in (admin_of(distributor), user_of(distributor)):
        assert _ids(handovers_visible_to(user)) == {first.pk, second.pk}
        assert _ids(visible_to(user, orders)) == ({order.pk} if shares else set())
    # Another partner: nothing.
    assert not _ids(handovers_visible_to(admin_of(stranger)))
    assert not _ids(visible_to(admin_of(stranger), orders))
    # The company: the administrator and the partner's channel manager see both.
    for user in (admin, channel_manager):
        assert _ids(handovers_visible_to(user)) == {first.pk, second.pk}
        assert _ids(visible_to(user, orders)) == {order.pk}


def test_the_distributor_reads_number_status_and_progress_on_its_hop(
    order, admin, distributor, reseller
):
    reseller.shares_with_parent = False
    reseller.save()
    _first, second = _down_the_chain(order, admin, distributor, reseller)
    line = _reload(order).lines.order_by("pk").first()  # 3 of 5 units
    shipment_record(_reload(order), by=user_of(reseller), lines={line.pk: 3})
    row = handovers_visible_to(admin_of(distributor)).get(pk=second.pk)
    assert row.order.number == order.number
    assert row.order.status == Order.Status.PARTLY_SHIPPED
    assert (row.ordered_quantity, row.shipped_quantity) == (Decimal("5"), Decimal("3"))
    assert shipping_progress(row) == Decimal("60")
    assert row.shipped_since_handed  # it no longer goes back: the pages offer no recall


# --- Roll-up --------------------------------------------------------------------------------


def test_the_order_counts_on_its_holders_card_and_once_in_the_roll_up(
    order, admin, distributor, reseller
):
    net = order.total - order.tax_total
    assert net == Decimal("500.00")
    _down_the_chain(order, admin, distributor, reseller)
    start, end = TODAY.replace(day=1), TODAY + datetime.timedelta(days=1)
    kwargs = {"user": admin, "start": start, "end": end, "currency": order.currency}
    assert scorecard(organisation=reseller, **kwargs).revenue == net
    assert scorecard(organisation=distributor, **kwargs).revenue == Decimal("0")
    rolled = scorecard(organisation=distributor, include_below=True, **kwargs)
    assert rolled.revenue == net and rolled.orders == 1
    # The distributor's own view of its roll-up counts it once as well.
    mine = scorecard(
        user=admin_of(distributor),
        organisation=distributor,
        start=start,
        end=end,
        currency=order.currency,
        include_below=True,
    )
    assert mine.revenue == net and mine.orders == 1


def test_the_order_page_link_of_the_notification_opens_for_the_holder(
    order, admin, distributor, client
):
    order_hand_down(order=order, partner=distributor, by=admin)
    client.force_login(user_of(distributor))
    assert client.get(reverse("orders:order-detail", args=[order.pk])).status_code == 200


# --- API ------------------------------------------------------------------------------------


def _rows(response) -> list[dict]:
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def test_api_hands_an_order_down_the_chain_and_back(order, admin, distributor, reseller, api):
    answer = api(admin).post(
        "/api/v1/order-handovers/hand-down/",
        {"order": order.pk, "partner": distributor.pk, "note": "Rush"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    first = answer.json()
    assert (first["organisation"], first["from_organisation"], first["note"]) == (
        distributor.pk,
        None,
        "Rush",
    )
    assert first["progress"]["number"] == order.number
    assert first["progress"]["status"] == "confirmed"
    assert Decimal(first["progress"]["ordered_quantity"]) == Decimal("5")
    # The distributor hands it on to its reseller.
    answer = api(admin_of(distributor)).post(
        "/api/v1/order-handovers/hand-down/",
        {"order": order.pk, "partner": reseller.pk},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    second = answer.json()
    assert (second["hop"], second["from_organisation"]) == (2, distributor.pk)
    # Without a reason the hand-back is refused with the field's error; with one, it goes back.
    url = f"/api/v1/order-handovers/{second['id']}/hand-back/"
    refused = api(user_of(reseller)).post(url, {}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    back = api(user_of(reseller)).post(url, {"reason": "No stock"}, format="json")
    assert back.status_code == 200, back.content
    assert back.json()["status"] == "returned"
    assert _reload(order).organisation_id == distributor.pk
    # The company recalls its own hop.
    recalled = api(admin).post(
        f"/api/v1/order-handovers/{first['id']}/recall/", {"reason": "Ours"}, format="json"
    )
    assert recalled.status_code == 200 and recalled.json()["status"] == "recalled"
    assert _reload(order).organisation.is_company


def test_api_refusals_are_clear_and_nothing_changes(
    order, admin, rep, distributor, reseller, stranger, api
):
    body = {"order": order.pk, "partner": distributor.pk}
    refused = api(rep).post("/api/v1/order-handovers/hand-down/", body, format="json")
    assert refused.status_code in (400, 403)  # a rep may not see it, or may not hand it down
    Order.objects.filter(pk=order.pk).update(status="shipped")
    refused = api(admin).post("/api/v1/order-handovers/hand-down/", body, format="json")
    assert refused.status_code == 400 and "Only a confirmed order" in str(refused.json())
    Order.objects.filter(pk=order.pk).update(status="confirmed")
    first, second = _down_the_chain(order, admin, distributor, reseller)
    # The reseller may not recall; another partner does not even find the hop.
    mine = api(admin_of(reseller)).post(
        f"/api/v1/order-handovers/{second.pk}/recall/", {"reason": "x"}, format="json"
    )
    assert mine.status_code == 403
    theirs = api(admin_of(stranger)).post(
        f"/api/v1/order-handovers/{second.pk}/recall/", {"reason": "x"}, format="json"
    )
    assert theirs.status_code == 404
    assert api(admin_of(stranger)).get(f"/api/v1/order-handovers/{first.pk}/").status_code == 404
    assert _rows(api(admin_of(stranger)).get("/api/v1/order-handovers/")) == []
    assert _reload(second).status == Status.ACTIVE


def test_api_distributor_follows_its_hop_when_the_reseller_does_not_share(
    order, admin, distributor, reseller, api
):
    reseller.shares_with_parent = False
    reseller.save()
    first, second = _down_the_chain(order, admin, distributor, reseller)
    _ship_all(order, user_of(reseller))
    client = api(user_of(distributor))
    rows = {row["id"]: row for row in _rows(client.get("/api/v1/order-handovers/"))}
    assert set(rows) == {first.pk, second.pk}
    assert rows[second.pk]["progress"]["status"] == "shipped"
    assert rows[second.pk]["progress"]["percent_shipped"] == "100"
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    # The reseller reads only its own hop; who owned the order before is not its business.
    rows = _rows(api(user_of(reseller)).get("/api/v1/order-handovers/"))
    assert [row["id"] for row in rows] == [second.pk]
    assert rows[0]["previous_owner"] is None


# --- Pages ----------------------------------------------------------------------------------


def test_the_company_hands_the_order_down_from_its_page(order, admin, distributor, client):
    client.force_login(admin)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="hand-down-form"' in page
    response = client.post(
        reverse("partners:order-hand-down", args=[order.pk]),
        {"partner": distributor.pk, "note": "From the page"},
    )
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert _reload(order).organisation_id == distributor.pk
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="order-hops"' in page and "From the page" in page
    assert 'data-testid="hand-down-form"' not in page  # with a partner now
    assert 'data-testid="recall"' in page


def test_the_distributor_hands_on_from_the_page_and_follows_from_the_list(
    order, admin, distributor, reseller, client
):
    reseller.shares_with_parent = False
    reseller.save()
    order_hand_down(order=order, partner=distributor, by=admin)
    client.force_login(admin_of(distributor))
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="hand-down-form"' in page and reseller.name in page
    assert 'data-testid="hand-back"' in page  # it may also give it back to the company
    assert 'data-testid="order-edit"' not in page and 'data-testid="order-cancel"' not in page
    response = client.post(
        reverse("partners:order-hand-down", args=[order.pk]), {"partner": reseller.pk}
    )
    # The reseller does not share: the distributor lands on its handed-down orders.
    assert response.status_code == 302
    assert response.url == reverse("partners:order-handover-list")
    html = client.get(response.url).content.decode()
    assert order.number in html and 'data-testid="recall"' in html
    assert client.get(order.get_absolute_url()).status_code == 404
    second = OrderHandover.objects.get(organisation=reseller)
    response = client.post(
        reverse("partners:order-handover-recall", args=[second.pk]), {"reason": "Changed plan"}
    )
    assert response.status_code == 302 and _reload(second).status == Status.RECALLED
    assert _reload(order).organisation_id == distributor.pk


def test_the_reseller_ships_from_the_order_page_or_hands_it_back(
    order, admin, distributor, reseller, stranger, client
):
    _first, second = _down_the_chain(order, admin, distributor, reseller)
    client.force_login(user_of(reseller))
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="hand-back-form"' in page
    assert 'data-testid="recall"' not in page and 'data-testid="hand-down-form"' not in page
    assert 'data-testid="shipment-form"' in page  # the holder ships it
    assert 'data-testid="order-edit"' not in page
    # Refused without a reason, with a message; then handed back.
    client.post(reverse("partners:order-handover-hand-back", args=[second.pk]), {"reason": ""})
    assert _reload(second).status == Status.ACTIVE
    response = client.post(
        reverse("partners:order-handover-hand-back", args=[second.pk]), {"reason": "No stock"}
    )
    assert response.status_code == 302
    assert _reload(second).status == Status.RETURNED
    assert _reload(order).organisation_id == distributor.pk
    # Another partner finds neither the hop nor the actions.
    client.force_login(admin_of(stranger))
    assert order.number not in client.get(reverse("partners:order-handover-list")).content.decode()
    response = client.post(
        reverse("partners:order-handover-recall", args=[second.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
    response = client.post(
        reverse("partners:order-hand-down", args=[order.pk]), {"partner": stranger.pk}
    )
    assert response.status_code == 404
