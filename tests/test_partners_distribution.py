"""Lead distribution: offering leads to partners by hand and by rules, the partner's answer,
expiry and passing on, the company following progress, the report and the pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allyance.activities.models import Activity
from allyance.core.models import Notification, Organisation, Role
from allyance.partners.models import LeadDistribution, ProgrammeSettings
from allyance.partners.selectors.distribution import distribution_stats
from allyance.partners.services.distribution import (
    distribution_accept,
    distribution_recall,
    distribution_reject,
    distribution_rule_save,
    distributions_expire,
    eligible_partners,
    lead_distribute,
    lead_distribute_by_rules,
    leads_distribute_by_rules,
)
from allyance.sales.models import Lead, Opportunity
from allyance.sales.services.leads import lead_convert
from tests.factories import (
    CertificationAwardFactory,
    CertificationFactory,
    DistributionRuleFactory,
    LeadDistributionFactory,
    LeadFactory,
    OrganisationFactory,
    PipelineFactory,
    TeamFactory,
    TerritoryFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = LeadDistribution.Status


# --- The channel: a sales team, a channel manager, three partners --------------------------


@pytest.fixture
def company():
    return Organisation.company()


@pytest.fixture
def rep(company):
    return UserFactory(role=Role.SALES_REP, username="rep")


@pytest.fixture
def manager(rep):
    """A sales manager whose team has the rep: sees the rep's leads, distributes them."""
    manager = UserFactory(role=Role.SALES_MANAGER, username="manager")
    team = TeamFactory(manager=manager)
    team.members.add(rep)
    return manager


@pytest.fixture
def channel():
    return UserFactory(role=Role.CHANNEL_MANAGER, username="channel")


@pytest.fixture
def gold():
    return TierFactory(name="Gold", rank=3, lead_priority=10)


@pytest.fixture
def silver():
    return TierFactory(name="Silver", rank=2, lead_priority=5)


def _partner(name, tier=None, partner_type=Organisation.PartnerType.RESELLER):
    org = OrganisationFactory(name=name, tier=tier, partner_type=partner_type)
    UserFactory(role=Role.PARTNER_ADMIN, organisation=org, username=f"{name.lower()}.admin")
    UserFactory(role=Role.PARTNER_USER, organisation=org, username=f"{name.lower()}.user")
    return org


@pytest.fixture
def alpha(gold):
    return _partner("Alpha", gold)


@pytest.fixture
def beta(silver):
    return _partner("Beta", silver)


@pytest.fixture
def gamma():
    return _partner("Gamma", None, Organisation.PartnerType.AGENT)


def admin_of(org):
    return org.users.get(role=Role.PARTNER_ADMIN)


def user_of(org):
    return org.users.get(role=Role.PARTNER_USER)


@pytest.fixture
def lead(rep, company):
    return LeadFactory(owner=rep, organisation=company, family_name="Wang", province="Zhejiang")


def _reload(record):
    return type(record).objects.get(pk=record.pk)


def _rule(**fields):
    territories = fields.pop("territories", None)
    partners = fields.pop("partners", None)
    rule = DistributionRuleFactory(**fields)
    if territories:
        rule.territories.set(territories)
    if partners:
        rule.partners.set(partners)
    return rule


# --- By hand --------------------------------------------------------------------------------


def test_manager_offers_a_lead_by_hand_and_the_partner_sees_it(
    manager, rep, lead, alpha, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        offer = lead_distribute(lead=lead, partner=alpha, by=manager)

    lead = _reload(lead)
    assert lead.organisation == alpha
    assert lead.owner == admin_of(alpha)
    offer = _reload(offer)
    assert (offer.organisation, offer.owner, offer.previous_owner) == (alpha, manager, rep)
    assert (offer.hop, offer.status, offer.rule) == (1, Status.OFFERED, None)
    hours = ProgrammeSettings.current().accept_hours
    assert before + datetime.timedelta(hours=hours) <= offer.respond_by
    assert offer.respond_by <= timezone.now() + datetime.timedelta(hours=hours)
    # The partner's users are told, and see the lead through the gate.
    for user in (admin_of(alpha), user_of(alpha)):
        assert Notification.objects.filter(recipient=user, kind="lead_offered").exists()
    from allyance.core.visibility import can_see

    assert can_see(user_of(alpha), lead)


def test_respond_hours_given_by_hand_set_the_deadline(manager, lead, alpha):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager, respond_hours=4)
    assert offer.respond_by - offer.offered_at == datetime.timedelta(hours=4)


def test_an_offer_queues_the_expiry_job_for_just_after_its_deadline(
    manager, lead, alpha, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        offer = lead_distribute(lead=lead, partner=alpha, by=manager, respond_hours=4)
    queued = DBTaskResult.objects.get(task_path__endswith="lead_offers_expire_task")
    assert offer.respond_by < queued.run_after <= offer.respond_by + datetime.timedelta(minutes=1)


def test_only_admins_and_managers_distribute(rep, lead, alpha):
    with pytest.raises(PermissionDenied):
        lead_distribute(lead=lead, partner=alpha, by=rep)
    with pytest.raises(PermissionDenied):
        lead_distribute(lead=lead, partner=alpha, by=user_of(alpha))
    assert _reload(lead).organisation.is_company


def test_a_manager_cannot_distribute_a_lead_they_cannot_see(manager, alpha, company):
    stranger = UserFactory(role=Role.SALES_REP)
    hidden = LeadFactory(owner=stranger, organisation=company)
    with pytest.raises(PermissionDenied):
        lead_distribute(lead=hidden, partner=alpha, by=manager)


def test_only_active_partners_are_offered_leads(manager, lead, company, alpha):
    alpha.status = Organisation.Status.SUSPENDED
    alpha.save()
    with pytest.raises(ValidationError):
        lead_distribute(lead=lead, partner=alpha, by=manager)
    with pytest.raises(ValidationError):
        lead_distribute(lead=lead, partner=company, by=manager)


def test_a_lead_with_a_partner_is_not_offered_again_until_it_returns(
    manager, admin_user, lead, alpha, beta
):
    lead_distribute(lead=lead, partner=alpha, by=manager)
    with pytest.raises(PermissionDenied):  # the manager no longer sees the partner's lead
        lead_distribute(lead=lead, partner=beta, by=manager)
    with pytest.raises(ValidationError):
        lead_distribute(lead=lead, partner=beta, by=admin_user)
    assert LeadDistribution.objects.filter(lead=lead).count() == 1


# --- By rules: eligibility and priority -----------------------------------------------------


def test_rules_offer_the_lead_to_the_highest_tier_priority(manager, lead, alpha, beta, gamma):
    _rule(name="Everyone")
    offer = lead_distribute_by_rules(lead=lead, by=manager)
    assert offer.organisation == alpha
    assert offer.owner == manager
    assert offer.rule.name == "Everyone"
    assert _reload(lead).organisation == alpha


def test_rule_territory_matches_its_subtree_and_provinces_ignore_case(manager, rep, company, alpha):
    east = TerritoryFactory(name="East")
    zhejiang = TerritoryFactory(name="Zhejiang", parent=east)
    _rule(territories=[east], provinces=["zhejiang"], industries=["manufacturing"])
    inside = LeadFactory(
        owner=rep, territory=zhejiang, province="Zhejiang", industry="manufacturing"
    )
    elsewhere = LeadFactory(owner=rep, province="Zhejiang", industry="manufacturing")
    other_industry = LeadFactory(owner=rep, territory=zhejiang, province="Zhejiang")
    assert lead_distribute_by_rules(lead=inside, by=manager).organisation == alpha
    assert lead_distribute_by_rules(lead=elsewhere, by=manager) is None
    assert lead_distribute_by_rules(lead=other_industry, by=manager) is None
    assert _reload(elsewhere).organisation == company


def test_partner_conditions_type_tier_certification_and_list(lead, alpha, beta, gamma, silver):
    assert eligible_partners(rule=_rule(partner_types=["agent"]), lead=lead) == [gamma]
    assert eligible_partners(rule=_rule(minimum_tier=silver), lead=lead) == [alpha, beta]
    assert eligible_partners(rule=_rule(partners=[beta, gamma]), lead=lead) == [beta, gamma]
    certification = CertificationFactory()
    today = timezone.localdate()
    CertificationAwardFactory(
        certification=certification,
        organisation=alpha,
        holder=user_of(alpha),
        awarded_on=today - datetime.timedelta(days=800),
        expires_on=today - datetime.timedelta(days=1),
    )
    CertificationAwardFactory(certification=certification, organisation=beta, holder=user_of(beta))
    rule = _rule(required_certification=certification)
    assert eligible_partners(rule=rule, lead=lead) == [beta], "alpha's certificate has expired"


def test_load_and_acceptance_rate_limit_who_gets_leads(manager, rep, alpha, beta, gamma):
    # Alpha already holds two open offered leads; beta accepted 1 of 4 answered offers.
    for _n in range(2):
        LeadDistributionFactory(organisation=alpha)
    for status in (Status.ACCEPTED, Status.REJECTED, Status.REJECTED, Status.EXPIRED):
        LeadDistributionFactory(organisation=beta, status=status)
    lead = LeadFactory(owner=rep)
    assert eligible_partners(rule=_rule(max_open_leads=2), lead=lead) == [beta, gamma]
    rule = _rule(min_acceptance_rate=Decimal("50"))
    assert eligible_partners(rule=rule, lead=lead) == [alpha, gamma], "beta accepts 25 %"


def test_equal_tiers_order_by_acceptance_rate_then_open_leads_then_name(rep, silver):
    a, b, c, d = (_partner(name, silver) for name in ("Delta", "Echo", "Foxtrot", "Golf"))
    for status in (Status.ACCEPTED, Status.REJECTED):  # Delta: 50 %
        LeadDistributionFactory(organisation=a, status=status)
    LeadDistributionFactory(organisation=b, status=Status.ACCEPTED)  # Echo: 100 %, 1 open
    LeadDistributionFactory(organisation=c, status=Status.ACCEPTED)  # Foxtrot: 100 %, 2 open
    LeadDistributionFactory(organisation=c, status=Status.OFFERED)
    # Golf has never answered: after those with a known rate.
    lead = LeadFactory(owner=rep)
    assert eligible_partners(rule=_rule(), lead=lead) == [b, c, a, d]


def test_rules_are_tried_by_priority_and_the_first_with_a_partner_wins(
    manager, rep, lead, alpha, beta, gamma
):
    _rule(name="Agents first", priority=10, partner_types=["agent"])
    _rule(name="Everyone", priority=20)
    assert lead_distribute_by_rules(lead=lead, by=manager).organisation == gamma
    other = LeadFactory(owner=rep)
    gamma.status = Organisation.Status.SUSPENDED
    gamma.save()
    offer = lead_distribute_by_rules(lead=other, by=manager)
    assert (offer.organisation, offer.rule.name) == (alpha, "Everyone")


def test_bulk_distribution_spreads_by_load_with_a_fixed_number_of_queries(
    manager, rep, alpha, beta
):
    _rule(max_open_leads=2)
    few = [LeadFactory(owner=rep) for _n in range(2)]
    with CaptureQueriesContext(connection) as small:
        leads_distribute_by_rules(leads=few, by=manager)
    _rule(name="Big", priority=1, max_open_leads=100)
    many = [LeadFactory(owner=rep) for _n in range(30)]
    with CaptureQueriesContext(connection) as large:
        result = leads_distribute_by_rules(leads=many, by=manager)
    assert len(result.offered) == 30
    assert len(large.captured_queries) <= len(small.captured_queries) + 2
    # The load limit counted the batch's own offers: alpha got 2, then beta got 2.
    assert sorted(_reload(lead).organisation.name for lead in few) == ["Alpha", "Alpha"]


def test_bulk_distribution_respects_the_load_limit_within_the_batch(manager, rep, alpha, beta):
    _rule(max_open_leads=2)
    leads = [LeadFactory(owner=rep) for _n in range(5)]
    result = leads_distribute_by_rules(leads=leads, by=manager)
    names = [_reload(lead).organisation.name for lead in leads]
    assert names.count("Alpha") == 2 and names.count("Beta") == 2
    assert len(result.unmatched) == 1


# --- Answers --------------------------------------------------------------------------------


def test_partner_accepts_and_the_lead_stays_with_the_accepting_user(
    manager, lead, alpha, django_capture_on_commit_callbacks
):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        distribution_accept(distribution=offer, by=user_of(alpha))
    offer = _reload(offer)
    assert (offer.status, offer.responded_by) == (Status.ACCEPTED, user_of(alpha))
    lead = _reload(lead)
    assert (lead.organisation, lead.owner) == (alpha, user_of(alpha))
    assert Notification.objects.filter(recipient=manager, kind="lead_accepted").exists()


def test_reject_needs_a_reason_and_passes_the_lead_on_recording_both_hops(
    manager, rep, lead, alpha, beta, django_capture_on_commit_callbacks
):
    _rule(name="Everyone")
    first = lead_distribute_by_rules(lead=lead, by=manager)
    assert first.organisation == alpha
    with pytest.raises(ValidationError):
        distribution_reject(distribution=first, reason="  ", by=admin_of(alpha))
    with django_capture_on_commit_callbacks(execute=True):
        distribution_reject(distribution=first, reason="Outside our region", by=admin_of(alpha))

    hops = list(LeadDistribution.objects.filter(lead=lead).order_by("hop"))
    assert [(h.hop, h.organisation, h.status) for h in hops] == [
        (1, alpha, Status.REJECTED),
        (2, beta, Status.OFFERED),
    ]
    assert hops[0].reason == "Outside our region"
    assert hops[1].previous_owner == rep, "the next partner returns it to the rep too"
    assert hops[1].owner == manager, "the distributor follows every hop"
    assert _reload(lead).organisation == beta
    assert Notification.objects.filter(recipient=manager, kind="lead_rejected").exists()


def test_rejected_without_pass_on_the_lead_returns_to_the_company_and_its_owner(
    manager, rep, lead, alpha, company
):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager)
    distribution_reject(distribution=offer, reason="No capacity", by=user_of(alpha))
    lead = _reload(lead)
    assert (lead.organisation, lead.owner) == (company, rep)
    assert LeadDistribution.objects.filter(lead=lead).count() == 1


def test_expiry_returns_the_lead_and_passes_it_on_once(
    manager, rep, lead, alpha, beta, company, django_capture_on_commit_callbacks
):
    _rule(accept_hours=24)
    first = lead_distribute_by_rules(lead=lead, by=manager)
    assert first.respond_by - first.offered_at == datetime.timedelta(hours=24)
    assert distributions_expire(now=first.respond_by - datetime.timedelta(minutes=1)) == 0
    later = first.respond_by + datetime.timedelta(microseconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert distributions_expire(now=later) == 1
    assert distributions_expire(now=later) == 0, "a second run changes nothing"
    assert _reload(first).status == Status.EXPIRED
    second = LeadDistribution.objects.get(lead=lead, hop=2)
    assert (second.organisation, second.status, second.previous_owner) == (
        beta,
        Status.OFFERED,
        rep,
    )
    assert Notification.objects.filter(recipient=manager, kind="lead_expired").exists()
    # Beta lets it expire too: nobody else is eligible, the lead is back with the rep.
    distributions_expire(now=second.respond_by + datetime.timedelta(seconds=1))
    lead = _reload(lead)
    assert (lead.organisation, lead.owner) == (company, rep)
    assert LeadDistribution.objects.filter(lead=lead).count() == 2


def test_an_offer_past_its_deadline_cannot_be_accepted(manager, lead, alpha):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager)
    LeadDistribution.objects.filter(pk=offer.pk).update(
        respond_by=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError):
        distribution_accept(distribution=offer, by=user_of(alpha))


def test_no_more_offers_than_the_rule_allows(manager, rep, lead, alpha, beta, gamma, company):
    _rule(max_hops=2)
    first = lead_distribute_by_rules(lead=lead, by=manager)
    distribution_reject(distribution=first, reason="Busy", by=user_of(alpha))
    second = LeadDistribution.objects.get(lead=lead, hop=2)
    distribution_reject(distribution=second, reason="Busy too", by=user_of(beta))
    assert LeadDistribution.objects.filter(lead=lead).count() == 2, "gamma is never offered it"
    assert _reload(lead).organisation == company
    # By the rules again: the rule has used its offers on this lead.
    assert lead_distribute_by_rules(lead=lead, by=manager) is None


def test_rule_without_pass_on_keeps_the_lead_at_the_company(manager, lead, alpha, beta, company):
    _rule(pass_on=False)
    first = lead_distribute_by_rules(lead=lead, by=manager)
    distribution_reject(distribution=first, reason="No", by=user_of(alpha))
    assert LeadDistribution.objects.filter(lead=lead).count() == 1
    assert _reload(lead).organisation == company


def test_recall_takes_an_accepted_lead_back(manager, rep, lead, alpha, company):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager)
    distribution_accept(distribution=offer, by=user_of(alpha))
    with pytest.raises(PermissionDenied):
        distribution_recall(distribution=offer, reason="Mine", by=user_of(alpha))
    with pytest.raises(ValidationError):
        distribution_recall(distribution=offer, reason="", by=manager)
    distribution_recall(distribution=offer, reason="Customer asked for us", by=manager)
    assert _reload(offer).status == Status.RECALLED
    lead = _reload(lead)
    assert (lead.organisation, lead.owner) == (company, rep)


def test_an_answered_offer_cannot_be_answered_again(manager, lead, alpha):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager)
    distribution_accept(distribution=offer, by=user_of(alpha))
    with pytest.raises(ValidationError):
        distribution_reject(distribution=offer, reason="Changed my mind", by=user_of(alpha))
    with pytest.raises(ValidationError):
        distribution_accept(distribution=offer, by=admin_of(alpha))


def test_a_partner_cannot_act_on_another_partners_offer(manager, lead, alpha, beta, client, api):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager)
    with pytest.raises(PermissionDenied):
        distribution_accept(distribution=offer, by=user_of(beta))
    client.force_login(user_of(beta))
    for name in ("distribution-accept", "distribution-reject"):
        response = client.post(reverse(f"partners:{name}", args=[offer.pk]), {"reason": "x"})
        assert response.status_code == 404
    for verb in ("accept", "reject"):
        response = api(user_of(beta)).post(
            f"/api/v1/lead-distributions/{offer.pk}/{verb}/", {"reason": "x"}, format="json"
        )
        assert response.status_code == 404
    assert api(user_of(beta)).get(f"/api/v1/lead-distributions/{offer.pk}/").status_code == 404
    assert _reload(offer).status == Status.OFFERED


# --- Following progress ---------------------------------------------------------------------


def _convert_and_win(lead, by, amount="80000.00"):
    """The partner converts the lead and wins the deal."""
    pipeline = PipelineFactory()
    lead = lead_convert(lead=_reload(lead), by=by, pipeline=pipeline, amount=Decimal(amount))
    won = pipeline.stages.get(outcome="won")
    Opportunity.objects.filter(pk=lead.converted_opportunity_id).update(
        stage=won, outcome="won", closed_at=timezone.now()
    )
    return lead


def test_company_follows_progress_without_seeing_the_partners_other_data(
    manager, lead, alpha, client, api
):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager)
    partner_user = user_of(alpha)
    distribution_accept(distribution=offer, by=partner_user)
    call = Activity.objects.create(
        organisation=alpha,
        owner=partner_user,
        kind=Activity.Kind.CALL,
        subject="First call",
        status=Activity.Status.DONE,
        target_type=ContentType.objects.get_for_model(Lead),
        target_id=str(lead.pk),
    )
    lead = _convert_and_win(lead, partner_user)
    private = LeadFactory(organisation=alpha, owner=partner_user, family_name="Secret")

    client.force_login(manager)
    page = client.get(reverse("partners:distribution-list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Wang" in html and "Won" in html and "80,000.00" in html
    assert timezone.localtime(call.created_at).strftime("%Y-%m-%d") in html
    assert "Secret" not in html
    # Neither the lead itself (now the partner's) nor the partner's other leads open.
    assert client.get(lead.get_absolute_url()).status_code == 404
    assert client.get(private.get_absolute_url()).status_code == 404
    body = api(manager).get("/api/v1/lead-distributions/").json()
    rows = body["results"] if isinstance(body, dict) else body
    progress = next(row["progress"] for row in rows if row["id"] == offer.pk)
    assert progress["status"] == "converted"
    assert progress["opportunity_outcome"] == "won"
    assert Decimal(progress["opportunity_amount"]) == Decimal("80000.00")
    assert api(manager).get(f"/api/v1/leads/{private.pk}/").status_code == 404


def test_partner_sees_the_deadline_in_its_time_zone_and_can_answer(manager, lead, alpha, client):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager)
    user = user_of(alpha)
    user.time_zone = "Asia/Shanghai"
    user.save()
    import zoneinfo

    local = offer.respond_by.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    client.force_login(user)
    html = client.get(reverse("partners:distribution-list")).content.decode()
    assert local.strftime("%Y-%m-%d %H:%M") in html
    assert 'data-testid="accept"' in html and 'data-testid="reject"' in html
    response = client.post(reverse("partners:distribution-reject", args=[offer.pk]), {"reason": ""})
    assert response.status_code == 302 and _reload(offer).status == Status.OFFERED
    client.post(reverse("partners:distribution-accept", args=[offer.pk]))
    assert _reload(offer).status == Status.ACCEPTED


def test_list_filters_by_status_and_partner(manager, rep, alpha, beta, client):
    a = lead_distribute(lead=LeadFactory(owner=rep, family_name="Ahn"), partner=alpha, by=manager)
    lead_distribute(lead=LeadFactory(owner=rep, family_name="Bai"), partner=beta, by=manager)
    distribution_accept(distribution=a, by=user_of(alpha))
    client.force_login(manager)
    url = reverse("partners:distribution-list")
    html = client.get(url, {"partner": beta.pk}).content.decode()
    assert "Bai" in html and "Ahn" not in html
    html = client.get(url, {"status": "accepted"}).content.decode()
    assert "Ahn" in html and "Bai" not in html


def test_lead_page_offers_distribution_to_staff_and_shows_the_hops(
    manager, rep, lead, alpha, beta, client
):
    client.force_login(manager)
    html = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="distribute-form"' in html
    response = client.post(
        reverse("partners:lead-distribute", args=[lead.pk]),
        {"partner": alpha.pk, "respond_hours": 12},
    )
    assert response.status_code == 302
    offer = LeadDistribution.objects.get(lead=lead)
    assert offer.respond_by - offer.offered_at == datetime.timedelta(hours=12)
    distribution_reject(distribution=offer, reason="Too far", by=user_of(alpha))
    _rule()
    client.post(reverse("partners:lead-distribute-by-rules", args=[lead.pk]))
    assert LeadDistribution.objects.get(lead=lead, hop=2).organisation == beta
    # The rep, who owns the lead again after the answer, sees both hops on its page.
    distribution_reject(
        distribution=LeadDistribution.objects.get(lead=lead, hop=2), reason="No", by=user_of(beta)
    )
    client.force_login(rep)
    html = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="lead-distribution"' not in html, "the rep neither distributes nor follows"
    client.force_login(manager)
    html = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-hop="1"' in html and 'data-hop="2"' in html and "Too far" in html


def test_partner_answers_from_the_lead_page(manager, lead, alpha, client):
    lead_distribute(lead=lead, partner=alpha, by=manager)
    client.force_login(user_of(alpha))
    html = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="accept"' in html
    assert 'data-testid="distribute-form"' not in html


# --- Report ---------------------------------------------------------------------------------


def _offer_at(partner, status, *, offered, hours=None, lead=None, **fields):
    row = LeadDistributionFactory(
        organisation=partner,
        status=status,
        offered_at=offered,
        lead=lead or LeadFactory(organisation=partner),
        **fields,
    )
    if hours is not None:
        row.responded_at = offered + datetime.timedelta(hours=hours)
        row.save()
    return row


def test_report_numbers_are_exact(admin_user, alpha, beta, client):
    start = timezone.now() - datetime.timedelta(days=10)
    # Alpha: accepted after 2, 4 and 9 hours; one rejected; one expired; one still offered.
    won = _convert_and_win(
        LeadFactory(organisation=alpha, owner=user_of(alpha)), user_of(alpha), "1200.50"
    )
    lost_lead = LeadFactory(organisation=alpha, owner=user_of(alpha))
    lost = lead_convert(
        lead=lost_lead, by=user_of(alpha), pipeline=PipelineFactory(), amount=Decimal("999")
    )
    _offer_at(alpha, Status.ACCEPTED, offered=start, hours=2, lead=won)
    _offer_at(alpha, Status.ACCEPTED, offered=start, hours=4, lead=lost)
    _offer_at(alpha, Status.ACCEPTED, offered=start, hours=9)
    _offer_at(alpha, Status.REJECTED, offered=start, hours=1, reason="No")
    _offer_at(alpha, Status.EXPIRED, offered=start)
    _offer_at(alpha, Status.OFFERED, offered=start)
    # Beta: one recalled offer, and one before the period that does not count.
    _offer_at(beta, Status.RECALLED, offered=start)
    _offer_at(beta, Status.ACCEPTED, offered=start - datetime.timedelta(days=30), hours=1)

    stats = distribution_stats(
        user=admin_user, start=start - datetime.timedelta(days=1), end=timezone.now()
    )
    assert stats[alpha.pk] == {
        "offered": 6,
        "accepted": 3,
        "rejected": 1,
        "expired": 1,
        "acceptance_rate": Decimal("60.00"),
        "median_hours_to_accept": 4.0,
        "converted": 2,
        "conversion_rate": Decimal("66.67"),
        "revenue": Decimal("1200.50"),
        "revenue_by_currency": {"CNY": Decimal("1200.50")},
    }
    assert stats[beta.pk]["offered"] == 1
    assert stats[beta.pk]["acceptance_rate"] is None
    assert stats[beta.pk]["median_hours_to_accept"] is None
    # A partner's own figures only.
    assert set(distribution_stats(user=user_of(alpha), start=start, end=timezone.now())) == {
        alpha.pk
    }
    client.force_login(admin_user)
    html = client.get(
        reverse("partners:distribution-report"),
        {"start": (start - datetime.timedelta(days=1)).date().isoformat()},
    ).content.decode()
    assert "60.00 %" in html and "66.67 %" in html and "1,200.50 CNY" in html
    assert 'data-chart="distribution-data"' in html


# --- Rules: pages and API -------------------------------------------------------------------


def test_channel_managers_keep_the_rules_and_partners_never_see_them(
    channel, manager, alpha, client, api
):
    client.force_login(channel)
    response = client.post(
        reverse("partners:distribution-rule-create"),
        {
            "name": "East resellers",
            "priority": 10,
            "is_active": "on",
            "provinces": "Zhejiang, 江苏",
            "partner_types": ["reseller"],
            "partners": [alpha.pk],
            "pass_on": "on",
            "max_hops": 3,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.force_login(manager)
    assert (
        "East resellers" in client.get(reverse("partners:distribution-rule-list")).content.decode()
    )
    assert client.get(reverse("partners:distribution-rule-create")).status_code == 403
    client.force_login(user_of(alpha))
    assert client.get(reverse("partners:distribution-rule-list")).status_code == 403

    assert api(user_of(alpha)).get("/api/v1/distribution-rules/").status_code == 403
    assert api(manager).get("/api/v1/distribution-rules/").status_code == 200
    body = {"name": "API rule", "partner_types": ["agent"], "max_hops": 2}
    assert api(manager).post("/api/v1/distribution-rules/", body, format="json").status_code == 403
    created = api(channel).post("/api/v1/distribution-rules/", body, format="json")
    assert created.status_code == 201, created.content
    bad = api(channel).post(
        "/api/v1/distribution-rules/", {"name": "Bad", "partner_types": ["pirate"]}, format="json"
    )
    assert bad.status_code == 400


def test_rule_service_refuses_unknown_values(channel):
    from allyance.partners.models import DistributionRule

    with pytest.raises(ValidationError):
        distribution_rule_save(rule=DistributionRule(name="x", industries=["space"]), by=channel)


def test_api_distributes_by_hand_and_answers(manager, lead, alpha, api):
    response = api(manager).post(
        "/api/v1/lead-distributions/",
        {"lead": lead.pk, "partner": alpha.pk, "respond_hours": 6},
        format="json",
    )
    assert response.status_code == 201, response.content
    offer_id = response.json()["id"]
    assert response.json()["progress"]["status"] == "new"
    refused = api(user_of(alpha)).post(
        "/api/v1/lead-distributions/", {"lead": lead.pk, "partner": alpha.pk}, format="json"
    )
    assert refused.status_code in (400, 403)
    listed = api(user_of(alpha)).get("/api/v1/lead-distributions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [offer_id]
    assert rows[0]["previous_owner"] is None, "the company's staff are not the partner's business"
    empty = api(user_of(alpha)).post(
        f"/api/v1/lead-distributions/{offer_id}/reject/", {"reason": ""}, format="json"
    )
    assert empty.status_code == 400
    accepted = api(user_of(alpha)).post(f"/api/v1/lead-distributions/{offer_id}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    recalled = api(manager).post(
        f"/api/v1/lead-distributions/{offer_id}/recall/", {"reason": "Key account"}, format="json"
    )
    assert recalled.status_code == 200 and recalled.json()["status"] == "recalled"


# --- The job --------------------------------------------------------------------------------


def test_expire_lead_offers_command_and_task(manager, lead, alpha, capsys):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager, respond_hours=1)
    moment = (timezone.now() + datetime.timedelta(hours=2)).isoformat()
    call_command("expire_lead_offers", now=moment)
    assert "1 lead offers expired." in capsys.readouterr().out
    assert _reload(offer).status == Status.EXPIRED
    from allyance.partners.tasks.distribution import lead_offers_expire_task

    assert lead_offers_expire_task.call() == 0


def test_an_offer_whose_lead_the_partner_converted_counts_as_accepted(manager, lead, alpha):
    offer = lead_distribute(lead=lead, partner=alpha, by=manager, respond_hours=1)
    _convert_and_win(lead, admin_of(alpha))
    distributions_expire(now=timezone.now() + datetime.timedelta(hours=2))
    assert _reload(offer).status == Status.ACCEPTED
    assert _reload(lead).organisation == alpha


def test_lead_model_is_unchanged_for_unrelated_leads(manager, rep, alpha):
    """Distributing by rules touches only the leads asked for."""
    _rule()
    untouched = LeadFactory(owner=rep)
    chosen = LeadFactory(owner=rep)
    leads_distribute_by_rules(leads=[chosen], by=manager)
    assert _reload(untouched).organisation.is_company
    assert Lead.objects.get(pk=chosen.pk).organisation == alpha


# --- Two-tier: a distributor offers leads on to its resellers ------------------------------


@pytest.fixture
def distributor(silver):
    return _partner("Delta", silver, Organisation.PartnerType.DISTRIBUTOR)


@pytest.fixture
def reseller(distributor):
    org = _partner("Rho")
    org.parent = distributor
    org.save()
    return org


@pytest.fixture
def sibling(distributor):
    org = _partner("Sigma")
    org.parent = distributor
    org.save()
    return org


def _held_by_distributor(manager, lead, distributor):
    """The company offers the lead to the distributor, whose admin accepts it."""
    offer = lead_distribute(lead=lead, partner=distributor, by=manager)
    distribution_accept(distribution=offer, by=admin_of(distributor))
    return offer


def test_distributor_admin_offers_its_lead_to_a_reseller_who_accepts(
    manager, lead, distributor, reseller, company, django_capture_on_commit_callbacks
):
    first = _held_by_distributor(manager, lead, distributor)
    assert first.previous_organisation_id == company.pk
    with django_capture_on_commit_callbacks(execute=True):
        offer = lead_distribute(lead=lead, partner=reseller, by=admin_of(distributor))
    assert offer.hop == 2
    assert offer.organisation_id == reseller.pk
    assert offer.previous_organisation_id == distributor.pk
    assert offer.owner_id == admin_of(distributor).pk  # the distributor follows it
    assert offer.previous_owner_id == admin_of(distributor).pk
    lead = _reload(lead)
    assert (lead.organisation_id, lead.owner_id) == (reseller.pk, admin_of(reseller).pk)
    # The reseller's users are told and see it; the distributor's (shared) too.
    assert Notification.objects.filter(recipient=user_of(reseller), kind="lead_offered").exists()
    with django_capture_on_commit_callbacks(execute=True):
        distribution_accept(distribution=offer, by=user_of(reseller))
    lead = _reload(lead)
    assert (lead.organisation_id, lead.owner_id) == (reseller.pk, user_of(reseller).pk)
    assert _reload(first).status == Status.ACCEPTED
    assert Notification.objects.filter(
        recipient=admin_of(distributor), kind="lead_accepted"
    ).exists()
    from allyance.partners.selectors.distribution import distributions_visible_to

    assert set(distributions_visible_to(user_of(distributor)).values_list("pk", flat=True)) == {
        first.pk,
        offer.pk,
    }
    assert list(distributions_visible_to(user_of(reseller)).values_list("pk", flat=True)) == [
        offer.pk
    ]


@pytest.mark.parametrize("answer", ["reject", "expire", "recall"])
def test_an_offer_down_that_ends_returns_the_lead_to_the_distributor(
    answer, manager, lead, distributor, reseller, sibling
):
    _held_by_distributor(manager, lead, distributor)
    # A rule with pass-on exists: a partner's own offer is still never passed on.
    _rule(name="Everyone", pass_on=True, max_hops=5)
    offer = lead_distribute(lead=lead, partner=reseller, by=admin_of(distributor))
    if answer == "reject":
        distribution_reject(distribution=offer, reason="Not our region", by=admin_of(reseller))
    elif answer == "expire":
        assert distributions_expire(now=offer.respond_by + datetime.timedelta(minutes=1)) == 1
    else:
        distribution_recall(distribution=offer, reason="Key account", by=admin_of(distributor))
    lead = _reload(lead)
    assert lead.organisation_id == distributor.pk
    assert lead.owner_id == admin_of(distributor).pk
    assert lead.distributions.count() == 2, "no automatic pass-on from a partner's offer"
    assert _reload(offer).status in (Status.REJECTED, Status.EXPIRED, Status.RECALLED)
    # Back with the distributor, it may offer the lead to another reseller.
    again = lead_distribute(lead=lead, partner=sibling, by=admin_of(distributor))
    assert again.hop == 3 and _reload(lead).organisation_id == sibling.pk


def test_the_distributor_follows_its_offers_when_the_reseller_does_not_share(
    manager, lead, distributor, reseller, client, api
):
    reseller.shares_with_parent = False
    reseller.save()
    _held_by_distributor(manager, lead, distributor)
    offer = lead_distribute(lead=lead, partner=reseller, by=admin_of(distributor))
    distribution_accept(distribution=offer, by=user_of(reseller))
    private = LeadFactory(organisation=reseller, owner=user_of(reseller), family_name="Secret")
    # The reseller's own offer from the company is not the distributor's business.
    other = lead_distribute(
        lead=LeadFactory(owner=manager, family_name="Other"), partner=reseller, by=manager
    )

    for user in (admin_of(distributor), user_of(distributor)):
        client.force_login(user)
        html = client.get(reverse("partners:distribution-list")).content.decode()
        assert f'data-distribution="{offer.pk}"' in html
        assert f'data-distribution="{other.pk}"' not in html
        assert "Secret" not in html
        # The progress shows on the offer; the lead itself stays the reseller's.
        assert client.get(_reload(lead).get_absolute_url()).status_code == 404
        assert client.get(private.get_absolute_url()).status_code == 404
        rows = api(user).get("/api/v1/lead-distributions/", {"organisation": reseller.pk}).json()
        rows = rows["results"] if isinstance(rows, dict) else rows
        assert [row["id"] for row in rows] == [offer.pk]
        assert rows[0]["progress"]["status"] == "new"
        assert rows[0]["previous_organisation"] == distributor.pk
        assert rows[0]["previous_owner"] == admin_of(distributor).pk
        assert api(user).get(f"/api/v1/lead-distributions/{other.pk}/").status_code == 404
    # The distributor's admin still takes it back, from the list.
    client.force_login(admin_of(distributor))
    response = client.post(
        reverse("partners:distribution-recall", args=[offer.pk]), {"reason": "Moving region"}
    )
    assert response.status_code == 302
    assert _reload(offer).status == Status.RECALLED
    assert _reload(lead).organisation_id == distributor.pk


def test_a_distributor_offers_only_accepted_open_leads_to_the_partners_directly_below(
    manager, rep, lead, distributor, reseller, beta, company
):
    admin = admin_of(distributor)
    # Offered but not accepted yet: the distributor answers first.
    offer = lead_distribute(lead=lead, partner=distributor, by=manager)
    with pytest.raises(ValidationError):
        lead_distribute(lead=lead, partner=reseller, by=admin)
    distribution_accept(distribution=offer, by=admin)
    below_reseller = _partner("Tau")
    below_reseller.parent = reseller
    below_reseller.save()
    for target in (beta, below_reseller, distributor):
        with pytest.raises(PermissionDenied):
            lead_distribute(lead=lead, partner=target, by=admin)
    reseller.status = Organisation.Status.SUSPENDED
    reseller.save()
    with pytest.raises(ValidationError):
        lead_distribute(lead=lead, partner=reseller, by=admin)
    reseller.status = Organisation.Status.ACTIVE
    reseller.save()
    # The company's leads are not the distributor's to hand out.
    company_lead = LeadFactory(owner=rep, organisation=company)
    with pytest.raises(PermissionDenied):
        lead_distribute(lead=company_lead, partner=reseller, by=admin)
    assert _reload(lead).organisation_id == distributor.pk
    assert _reload(company_lead).organisation_id == company.pk
    assert lead.distributions.count() == 1


def test_a_reseller_cannot_offer_up_or_sideways_and_a_partner_user_not_at_all(
    manager, lead, distributor, reseller, sibling
):
    _held_by_distributor(manager, lead, distributor)
    with pytest.raises(PermissionDenied):
        lead_distribute(lead=lead, partner=reseller, by=user_of(distributor))
    offer = lead_distribute(lead=lead, partner=reseller, by=admin_of(distributor))
    distribution_accept(distribution=offer, by=admin_of(reseller))
    for target in (distributor, sibling):
        with pytest.raises(PermissionDenied):
            lead_distribute(lead=lead, partner=target, by=admin_of(reseller))
    with pytest.raises(PermissionDenied):  # the reseller's offer is not the sibling's to recall
        distribution_recall(distribution=offer, reason="Mine", by=admin_of(sibling))
    assert _reload(lead).organisation_id == reseller.pk
    assert lead.distributions.count() == 2


def test_company_distribution_is_unchanged_and_records_the_company(
    manager, rep, lead, alpha, beta, company
):
    rule = _rule(name="All", pass_on=True)
    offer = lead_distribute_by_rules(lead=lead, by=manager)
    assert offer.organisation_id == alpha.pk and offer.previous_organisation_id == company.pk
    distribution_reject(distribution=offer, reason="Too far", by=admin_of(alpha))
    passed = lead.distributions.get(hop=2)
    assert passed.organisation_id == beta.pk and passed.rule_id == rule.pk
    assert passed.previous_organisation_id == company.pk
    distribution_recall(distribution=passed, reason="Key account", by=manager)
    lead = _reload(lead)  # no partner left that did not have it: back at the company
    assert (lead.organisation_id, lead.owner_id) == (company.pk, rep.pk)
    assert lead.distributions.count() == 2
    by_hand = LeadFactory(owner=rep, organisation=company)
    row = lead_distribute(lead=by_hand, partner=alpha, by=manager)
    assert row.previous_organisation_id == company.pk
    distribution_reject(distribution=row, reason="No", by=admin_of(alpha))
    by_hand = _reload(by_hand)
    assert (by_hand.organisation_id, by_hand.owner_id) == (company.pk, rep.pk)


def test_company_recall_takes_the_lead_back_from_down_the_chain(
    manager, rep, lead, distributor, reseller, company
):
    first = _held_by_distributor(manager, lead, distributor)
    down = lead_distribute(lead=lead, partner=reseller, by=admin_of(distributor))
    distribution_accept(distribution=down, by=user_of(reseller))
    distribution_recall(distribution=first, reason="Strategic account", by=manager)
    assert _reload(first).status == Status.RECALLED
    assert _reload(down).status == Status.RECALLED
    lead = _reload(lead)
    assert (lead.organisation_id, lead.owner_id) == (company.pk, rep.pk)


def test_another_partner_sees_none_of_the_two_tier_offers(
    manager, lead, distributor, reseller, beta, client, api
):
    _held_by_distributor(manager, lead, distributor)
    offer = lead_distribute(lead=lead, partner=reseller, by=admin_of(distributor))
    from allyance.partners.selectors.distribution import distributions_visible_to

    for user in (admin_of(beta), user_of(beta)):
        assert not distributions_visible_to(user).exists()
        rows = api(user).get("/api/v1/lead-distributions/").json()
        assert (rows["results"] if isinstance(rows, dict) else rows) == []
        assert api(user).get(f"/api/v1/lead-distributions/{offer.pk}/").status_code == 404
        client.force_login(user)
        html = client.get(reverse("partners:distribution-list")).content.decode()
        assert "Wang" not in html
        response = client.post(
            reverse("partners:distribution-recall", args=[offer.pk]), {"reason": "x"}
        )
        assert response.status_code == 404
        response = client.post(reverse("partners:lead-distribute", args=[lead.pk]), {"partner": 1})
        assert response.status_code == 404
    assert _reload(offer).status == Status.OFFERED


def test_api_distributor_admin_offers_to_its_reseller(
    manager, lead, distributor, reseller, beta, api
):
    _held_by_distributor(manager, lead, distributor)
    refused = api(admin_of(distributor)).post(
        "/api/v1/lead-distributions/", {"lead": lead.pk, "partner": beta.pk}, format="json"
    )
    assert refused.status_code == 403
    not_admin = api(user_of(distributor)).post(
        "/api/v1/lead-distributions/", {"lead": lead.pk, "partner": reseller.pk}, format="json"
    )
    assert not_admin.status_code == 403
    response = api(admin_of(distributor)).post(
        "/api/v1/lead-distributions/",
        {"lead": lead.pk, "partner": reseller.pk, "respond_hours": 12},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organisation"] == reseller.pk
    assert body["previous_organisation"] == distributor.pk
    assert body["owner"] == admin_of(distributor).pk
    rejected = api(admin_of(reseller)).post(
        f"/api/v1/lead-distributions/{body['id']}/reject/", {"reason": "Busy"}, format="json"
    )
    assert rejected.status_code == 200
    assert _reload(lead).organisation_id == distributor.pk


def test_distributor_offers_down_from_the_lead_page_and_the_offers_list(
    manager, lead, distributor, reseller, sibling, beta, client
):
    first = _held_by_distributor(manager, lead, distributor)
    client.force_login(admin_of(distributor))
    page = client.get(_reload(lead).get_absolute_url()).content.decode()
    assert 'data-testid="distribute-form"' in page
    assert 'data-testid="distribute-by-rules"' not in page
    assert "Rho" in page and "Sigma" in page and "Beta" not in page
    listing = client.get(reverse("partners:distribution-list")).content.decode()
    assert 'data-testid="offer-down"' in listing
    response = client.post(
        reverse("partners:lead-distribute", args=[lead.pk]),
        {"partner": reseller.pk, "next": reverse("partners:distribution-list")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:distribution-list")
    offer = lead.distributions.get(hop=2)
    assert offer.organisation_id == reseller.pk and offer.previous_organisation_id == distributor.pk
    listing = client.get(reverse("partners:distribution-list")).content.decode()
    assert 'data-testid="offer-down"' not in listing  # the lead is with the reseller now
    assert f'data-distribution="{offer.pk}"' in listing and 'data-testid="recall"' in listing
    # A partner user (not admin) gets neither form.
    client.force_login(user_of(distributor))
    distribution_reject(distribution=offer, reason="No", by=admin_of(reseller))
    page = client.get(_reload(lead).get_absolute_url()).content.decode()
    assert 'data-testid="distribute-form"' not in page
    assert (
        'data-testid="offer-down"'
        not in client.get(reverse("partners:distribution-list")).content.decode()
    )
    response = client.post(
        reverse("partners:lead-distribute", args=[lead.pk]), {"partner": sibling.pk}
    )
    assert response.status_code == 403
    # A choice outside the resellers is refused by the form; nothing moves.
    client.force_login(admin_of(distributor))
    client.post(reverse("partners:lead-distribute", args=[lead.pk]), {"partner": beta.pk})
    assert _reload(lead).organisation_id == distributor.pk
    assert _reload(first).status == Status.ACCEPTED
