"""Lead routing: rules in priority order, each condition kind, team strategies, queue, the log."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from allyance.core.models import AuditEntry, Role
from allyance.sales.models import AssignmentRule, Lead, LeadAssignment
from allyance.sales.services.routing import (
    assignment_rule_move,
    assignment_rule_save,
    lead_route,
    leads_route,
    leads_route_preview,
)
from tests.factories import LeadFactory, TeamFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def rule(**fields) -> AssignmentRule:
    fields.setdefault("name", f"Rule {AssignmentRule.objects.count() + 1}")
    fields.setdefault("action", AssignmentRule.Action.USER)
    return AssignmentRule.objects.create(**fields)


def routed_owner(lead, by=None):
    lead_route(lead=lead, by=by)
    lead.refresh_from_db()
    return lead.owner


def test_first_matching_rule_in_priority_order_wins():
    north, south = UserFactory(), UserFactory()
    rule(name="Later", priority=20, assign_user=south)
    rule(name="Sooner", priority=10, assign_user=north, cities=["Beijing"])
    rule(name="Off", priority=1, assign_user=south, is_active=False)

    beijing = LeadFactory(city="beijing ")
    assert routed_owner(beijing) == north
    assert beijing.assignments.get().rule_name == "Sooner"

    elsewhere = LeadFactory(city="Wuhan")
    assert routed_owner(elsewhere) == south
    assert elsewhere.assignments.get().rule.name == "Later"


def test_no_matching_rule_leaves_the_lead_alone():
    rep = UserFactory()
    rule(assign_user=UserFactory(), industries=["manufacturing"])
    lead = LeadFactory(owner=rep, industry="retail")
    assert lead_route(lead=lead, by=rep) is None
    lead.refresh_from_db()
    assert lead.owner == rep
    assert not LeadAssignment.objects.exists()


@pytest.mark.parametrize(
    ("conditions", "matching", "missing"),
    [
        ({"countries": ["CN"]}, {"country": "CN"}, {"country": "DE"}),
        ({"provinces": ["Guangdong", "Fujian"]}, {"province": "FUJIAN"}, {"province": "Hubei"}),
        ({"cities": ["Shenzhen"]}, {"city": "shenzhen"}, {"city": "Shanghai"}),
        ({"size_bands": ["50-249"]}, {"size_band": "50-249"}, {"size_band": "1-9"}),
        ({"industries": ["manufacturing"]}, {"industry": "manufacturing"}, {"industry": "retail"}),
        ({"sources": ["website"]}, {"source": "website"}, {"source": "referral"}),
        ({"score_min": 50}, {"score": 50}, {"score": 49}),
        ({"score_max": 10}, {"score": 10}, {"score": 11}),
        ({"score_min": 10, "score_max": 20}, {"score": 15}, {"score": 25}),
        (
            {"custom_fields_equal": {"segment": "Gov"}},
            {"custom_fields": {"segment": "gov"}},
            {"custom_fields": {"segment": "edu"}},
        ),
        ({"company_contains": "steel"}, {"company": "Baosteel Group"}, {"company": "Acme"}),
        ({"email_contains": ".gov.cn"}, {"email": "li@sz.gov.cn"}, {"email": "li@acme.com"}),
    ],
)
def test_each_condition_kind_matches_and_misses(conditions, matching, missing):
    target = UserFactory()
    rule(assign_user=target, **conditions)
    hit = LeadFactory(**matching)
    miss = LeadFactory(**missing)
    assert routed_owner(hit) == target
    assert routed_owner(miss) is None
    assert not miss.assignments.exists()


def test_a_rule_without_conditions_matches_every_lead():
    target = UserFactory()
    rule(assign_user=target)
    assert routed_owner(LeadFactory(city="", industry="", score=0)) == target


def test_partner_leads_are_routed_only_by_rules_that_say_so(partner_a, partner_a_user):
    target = UserFactory()
    rule(name="Company only", priority=1, assign_user=target)
    lead = LeadFactory(organisation=partner_a, owner=partner_a_user)
    assert routed_owner(lead) == partner_a_user

    rule(name="Partners too", priority=2, assign_user=target, include_partner_leads=True)
    assert routed_owner(lead) == target
    assert lead.assignments.get().rule_name == "Partners too"


def test_round_robin_cycles_through_the_team():
    team = TeamFactory()
    members = [UserFactory() for _ in range(3)]
    team.members.set(members)
    rule(action=AssignmentRule.Action.ROUND_ROBIN, assign_team=team)
    owners = [routed_owner(LeadFactory()) for _ in range(7)]
    ordered = sorted(members, key=lambda u: u.pk)
    assert owners == ordered * 2 + ordered[:1]


def test_round_robin_skips_inactive_members():
    team = TeamFactory()
    active, gone = UserFactory(), UserFactory(is_active=False)
    team.members.set([active, gone])
    rule(action=AssignmentRule.Action.ROUND_ROBIN, assign_team=team)
    assert {routed_owner(LeadFactory()) for _ in range(3)} == {active}


def test_least_loaded_picks_the_member_with_fewest_open_leads():
    team = TeamFactory()
    busy, idle = UserFactory(), UserFactory()
    team.members.set([busy, idle])
    LeadFactory.create_batch(3, owner=busy)
    LeadFactory.create_batch(2, owner=idle)
    LeadFactory.create_batch(5, owner=idle, status=Lead.Status.CONVERTED)  # closed: not load
    rule(action=AssignmentRule.Action.LEAST_LOADED, assign_team=team)
    assert routed_owner(LeadFactory()) == idle
    # Now 3 and 3: ties go to the lower id, then they alternate.
    owners = [routed_owner(LeadFactory()) for _ in range(2)]
    assert sorted(o.pk for o in owners) == sorted([busy.pk, idle.pk])


def test_territory_rule_sets_the_territory_and_the_first_member():
    south = TerritoryFactory(name="South")
    first, second = UserFactory(), UserFactory()
    south.members.set([second, first])
    rule(action=AssignmentRule.Action.TERRITORY, assign_territory=south)
    lead = LeadFactory()
    assert routed_owner(lead) == min(first, second, key=lambda u: u.pk)
    assert lead.territory == south

    empty = TerritoryFactory(name="Empty")
    territory_rule = AssignmentRule.objects.get()
    territory_rule.assign_territory = empty
    territory_rule.save()
    lead = LeadFactory(owner=first)
    assert routed_owner(lead) is None
    assert lead.territory == empty
    assert lead.assignments.get().queued


def test_queue_rule_leaves_the_owner_empty():
    creator = UserFactory()
    rule(action=AssignmentRule.Action.QUEUE, name="Hold")
    lead = LeadFactory(owner=creator)
    assignment = lead_route(lead=lead, by=creator)
    lead.refresh_from_db()
    assert lead.owner is None
    assert assignment.queued and assignment.assigned_user is None
    assert assignment.rule_name == "Hold"


def test_assignment_log_names_the_rule_and_the_change_is_audited():
    by, target = UserFactory(role=Role.SALES_MANAGER), UserFactory()
    rule(name="Shenzhen to Wang", cities=["Shenzhen"], assign_user=target)
    lead = LeadFactory(city="Shenzhen")
    assignment = lead_route(lead=lead, by=by)
    assert assignment.rule.name == "Shenzhen to Wang"
    assert assignment.assigned_user == target
    assert assignment.by == by
    assert assignment.trigger == LeadAssignment.Trigger.CREATED
    entry = AuditEntry.objects.filter(object_id=str(lead.pk), action="update").latest("id")
    assert entry.actor == by
    assert entry.changes["owner_id"][1] == target.pk


def test_the_log_survives_the_rule():
    target = UserFactory()
    r = rule(name="Temporary", assign_user=target)
    lead = LeadFactory()
    lead_route(lead=lead, by=None)
    r.delete()
    assignment = lead.assignments.get()
    assert assignment.rule is None and assignment.rule_name == "Temporary"


def test_bulk_routing_of_a_selection(admin_user):
    team = TeamFactory()
    a, b = UserFactory(), UserFactory()
    team.members.set([a, b])
    rule(
        name="Web",
        priority=1,
        sources=["website"],
        action=AssignmentRule.Action.ROUND_ROBIN,
        assign_team=team,
    )
    rule(name="Rest", priority=2, action=AssignmentRule.Action.QUEUE)
    web = LeadFactory.create_batch(4, source="website")
    other = LeadFactory(source="referral", owner=a)
    closed = LeadFactory(source="website", status=Lead.Status.DISQUALIFIED)
    untouched = LeadFactory(source="website")

    result = leads_route(
        leads=Lead.objects.filter(pk__in=[x.pk for x in [*web, other, closed]]), by=admin_user
    )
    assert result.skipped == 1 and result.unmatched == 0 and result.moved == 5
    owners = [Lead.objects.get(pk=x.pk).owner_id for x in web]
    assert sorted(owners) == sorted([a.pk, b.pk] * 2)
    assert Lead.objects.get(pk=other.pk).owner_id is None
    assert Lead.objects.get(pk=closed.pk).owner_id is None
    assert not closed.assignments.exists() and not untouched.assignments.exists()
    assert {x.rule_name for x in LeadAssignment.objects.all()} == {"Web", "Rest"}
    assert set(LeadAssignment.objects.values_list("trigger", flat=True)) == {"on_demand"}
    # One audit entry per moved lead, by the person who routed, and versions went up.
    assert AuditEntry.objects.filter(actor=admin_user, action="update").count() == 5
    assert Lead.objects.get(pk=other.pk).version == 2


def test_preview_changes_nothing(admin_user):
    target = UserFactory()
    rule(assign_user=target)
    leads = LeadFactory.create_batch(3)
    decisions, unmatched = leads_route_preview(leads=leads)
    assert [d.user_id for d in decisions] == [target.pk] * 3 and unmatched == []
    assert not Lead.objects.filter(owner=target).exists()
    assert not LeadAssignment.objects.exists()


def test_only_managers_and_admins_route_on_demand(partner_a_user, rep):
    rule(action=AssignmentRule.Action.QUEUE)
    lead = LeadFactory()
    for user in (partner_a_user, rep):
        with pytest.raises(PermissionDenied):
            leads_route(leads=[lead], by=user)
    assert leads_route(leads=[lead], by=UserFactory(role=Role.SALES_MANAGER)).moved == 0


def test_rules_are_written_by_admins_with_a_target_for_their_action(admin_user, rep):
    with pytest.raises(PermissionDenied):
        assignment_rule_save(rule=AssignmentRule(name="x", action="queue"), by=rep)
    with pytest.raises(ValidationError) as err:
        assignment_rule_save(rule=AssignmentRule(name="x", action="round_robin"), by=admin_user)
    assert "assign_team" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        assignment_rule_save(
            rule=AssignmentRule(name="x", action="queue", score_min=5, score_max=1),
            by=admin_user,
        )
    assert "score_max" in err.value.message_dict
    saved = assignment_rule_save(
        rule=AssignmentRule(name="x", action="queue", assign_user=rep), by=admin_user
    )
    assert saved.assign_user is None  # a queue rule names no user
    assert AuditEntry.objects.filter(object_id=str(saved.pk), action="create").exists()


def test_move_up_and_down_swaps_neighbours(admin_user):
    one, two, three = (rule(name=n, priority=p) for n, p in (("1", 5), ("2", 6), ("3", 7)))
    assignment_rule_move(rule=three, direction="up", by=admin_user)
    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["1", "3", "2"]
    assignment_rule_move(rule=one, direction="down", by=admin_user)
    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["3", "1", "2"]
    assignment_rule_move(rule=three, direction="up", by=admin_user)  # already first
    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["3", "1", "2"]


# --- API ------------------------------------------------------------------------------------


def test_rules_api_admins_write_staff_read_partners_see_nothing(
    api, admin_user, rep, partner_a_user
):
    team = TeamFactory()
    body = {
        "name": "South China web leads",
        "priority": 5,
        "provinces": ["Guangdong"],
        "sources": ["website"],
        "score_min": 10,
        "custom_fields_equal": {"segment": "SMB"},
        "action": "round_robin",
        "assign_team": team.pk,
    }
    created = api(admin_user).post("/api/v1/assignment-rules/", body, format="json")
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert api(rep).get("/api/v1/assignment-rules/").json()["results"][0]["id"] == rule_id
    assert (
        api(rep)
        .patch(f"/api/v1/assignment-rules/{rule_id}/", {"name": "x"}, format="json")
        .status_code
        == 403
    )
    listed = api(partner_a_user).get("/api/v1/assignment-rules/")
    assert listed.status_code == 200 and listed.json()["results"] == []
    assert api(partner_a_user).get(f"/api/v1/assignment-rules/{rule_id}/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "action": "user"},  # no user
        {"name": "x", "action": "queue", "sources": ["carrier pigeon"]},
        {"name": "x", "action": "queue", "score_min": 9, "score_max": 1},
        {"name": "x", "action": "queue", "custom_fields_equal": {"": "a"}},
        {"name": "x", "action": "queue", "priority": 2**40},
        {"name": "x", "action": "queue", "countries": ["XX"]},
    ],
)
def test_rules_api_refuses_bad_rules_with_field_errors(api, admin_user, body):
    response = api(admin_user).post("/api/v1/assignment-rules/", body, format="json")
    assert response.status_code == 400, response.content
    assert not AssignmentRule.objects.exists()


def test_rules_api_moves_a_rule(api, admin_user):
    first, second = rule(name="A", priority=1), rule(name="B", priority=2)
    response = api(admin_user).post(f"/api/v1/assignment-rules/{second.pk}/move/up/")
    assert response.status_code == 200
    assert [r["name"] for r in response.json()] == ["B", "A"]
    assert first.pk


def test_route_api_routes_visible_ids_and_reports(api, admin_user):
    target = UserFactory()
    rule(name="All to target", assign_user=target)
    leads = LeadFactory.create_batch(2)
    dry = api(admin_user).post(
        "/api/v1/lead-routing/", {"leads": [x.pk for x in leads], "dry_run": True}, format="json"
    )
    assert dry.status_code == 200, dry.content
    assert dry.json()["moved"] == 2 and not Lead.objects.filter(owner=target).exists()
    done = api(admin_user).post(
        "/api/v1/lead-routing/", {"leads": [x.pk for x in leads]}, format="json"
    )
    assert done.status_code == 200
    assert {d["rule_name"] for d in done.json()["decisions"]} == {"All to target"}
    assert Lead.objects.filter(owner=target).count() == 2


def test_route_api_refuses_partners_and_other_partners_ids(
    api, partner_a, partner_b, partner_a_user
):
    rule(action=AssignmentRule.Action.QUEUE, include_partner_leads=True)
    theirs = LeadFactory(organisation=partner_b, owner=UserFactory(organisation=partner_b))
    assert (
        api(partner_a_user)
        .post("/api/v1/lead-routing/", {"leads": [theirs.pk]}, format="json")
        .status_code
        == 403
    )
    # A manager who cannot see a lead is told it does not exist, exactly as for an unknown id.
    manager = UserFactory(role=Role.SALES_MANAGER)
    hidden = api(manager).post("/api/v1/lead-routing/", {"leads": [theirs.pk]}, format="json")
    unknown = api(manager).post("/api/v1/lead-routing/", {"leads": [10**9]}, format="json")
    assert hidden.status_code == unknown.status_code == 400
    theirs.refresh_from_db()
    assert theirs.owner is not None


def test_route_api_unassigned_queue(api, admin_user):
    target = UserFactory()
    rule(assign_user=target)
    waiting = LeadFactory(owner=None)
    owned = LeadFactory(owner=admin_user)
    response = api(admin_user).post("/api/v1/lead-routing/", {"unassigned": True}, format="json")
    assert response.status_code == 200
    assert [d["lead"] for d in response.json()["decisions"]] == [waiting.pk]
    owned.refresh_from_db()
    assert owned.owner == admin_user


def test_routing_log_api_shows_only_visible_leads(api, partner_a, partner_b, partner_a_user):
    mine = LeadFactory(organisation=partner_a)
    theirs = LeadFactory(organisation=partner_b)
    rule(name="Partners", include_partner_leads=True, action=AssignmentRule.Action.QUEUE)
    lead_route(lead=mine, by=None)
    lead_route(lead=theirs, by=None)
    rows = api(partner_a_user).get("/api/v1/lead-assignments/").json()["results"]
    assert [r["lead"] for r in rows] == [mine.pk]
    filtered = api(partner_a_user).get(f"/api/v1/lead-assignments/?lead={theirs.pk}")
    assert filtered.status_code == 400


def test_a_lead_created_through_the_api_is_routed(api, rep):
    target = UserFactory()
    rule(name="Shenzhen", cities=["Shenzhen"], assign_user=target)
    response = api(rep).post(
        "/api/v1/leads/", {"family_name": "Wang", "city": "Shenzhen"}, format="json"
    )
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.owner == target
    assert lead.assignments.get().rule_name == "Shenzhen"


# --- Pages ----------------------------------------------------------------------------------


def test_rule_pages_create_edit_move_and_delete(client, admin_user):
    client.force_login(admin_user)
    target = UserFactory(username="wang")
    response = client.post(
        reverse("sales:assignment-rule-create"),
        {
            "name": "Guangdong",
            "priority": 10,
            "is_active": "on",
            "provinces": "Guangdong, Fujian",
            "custom_fields_equal": "segment=SMB",
            "action": "user",
            "assign_user": target.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = AssignmentRule.objects.get(name="Guangdong")
    assert saved.provinces == ["Guangdong", "Fujian"]
    assert saved.custom_fields_equal == {"segment": "SMB"}
    other = rule(name="Catch-all", priority=20)
    page = client.get(reverse("sales:assignment-rule-list")).content.decode()
    assert page.index("Guangdong") < page.index("Catch-all")
    client.post(reverse("sales:assignment-rule-move", args=[other.pk]), {"direction": "up"})
    page = client.get(reverse("sales:assignment-rule-list")).content.decode()
    assert page.index("Catch-all") < page.index("Guangdong")
    # Errors stay beside the field.
    bad = client.post(
        reverse("sales:assignment-rule-edit", args=[saved.pk]),
        {"name": "Guangdong", "priority": 10, "action": "round_robin"},
    )
    assert bad.status_code == 200 and 'data-field-error="assign_team"' in bad.content.decode()
    client.post(reverse("sales:assignment-rule-delete", args=[saved.pk]))
    assert not AssignmentRule.objects.filter(pk=saved.pk).exists()


def test_rule_pages_are_closed_to_partners_and_read_only_for_reps(client, rep, partner_a_user):
    rule(name="Visible")
    client.force_login(partner_a_user)
    assert client.get(reverse("sales:assignment-rule-list")).status_code == 403
    client.force_login(rep)
    page = client.get(reverse("sales:assignment-rule-list"))
    assert page.status_code == 200 and "Visible" in page.content.decode()
    assert client.get(reverse("sales:assignment-rule-create")).status_code == 403


def test_queue_page_then_route_selected_after_a_preview(client, admin_user):
    target = UserFactory(username="routed_to")
    rule(name="Everything", assign_user=target)
    waiting = LeadFactory(owner=None, family_name="Waiting")
    LeadFactory(owner=admin_user, family_name="Owned")
    client.force_login(admin_user)
    queue = client.get(reverse("sales:lead-queue-list")).content.decode()
    assert "Waiting" in queue and "Owned" not in queue
    preview = client.post(reverse("sales:lead-route"), {"selected": [waiting.pk]})
    assert preview.status_code == 200
    assert "Everything" in preview.content.decode()
    waiting.refresh_from_db()
    assert waiting.owner is None
    client.post(
        reverse("sales:lead-route"),
        {"scope": "selected", "ids": str(waiting.pk), "step": "confirm"},
    )
    waiting.refresh_from_db()
    assert waiting.owner == target


def test_route_page_is_for_managers_and_admins(client, rep):
    client.force_login(rep)
    assert client.get(reverse("sales:lead-route")).status_code == 403


def test_lead_detail_shows_which_rule_assigned_it(client, admin_user):
    target = UserFactory(first_name="Mei", last_name="Lin")
    rule(name="Round the south", assign_user=target)
    lead = LeadFactory()
    lead_route(lead=lead, by=admin_user)
    client.force_login(admin_user)
    page = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="routing-history"' in page and "Round the south" in page


def test_a_changed_rule_applies_to_the_next_lead_at_once(admin_user):
    first, second = UserFactory(), UserFactory()
    r = rule(name="To first", assign_user=first)
    assert routed_owner(LeadFactory()) == first
    r.assign_user = second
    assignment_rule_save(rule=r, by=admin_user)
    assert routed_owner(LeadFactory()) == second
    r.is_active = False
    assignment_rule_save(rule=r, by=admin_user)
    assert routed_owner(LeadFactory(owner=first)) == first
    rule(name="New", assign_user=second)
    assert routed_owner(LeadFactory(owner=first)) == second


def test_removing_a_rules_team_leaves_its_leads_in_the_queue(admin_user):
    team = TeamFactory()
    team.members.set([UserFactory()])
    r = rule(name="Team", action=AssignmentRule.Action.ROUND_ROBIN, assign_team=team)
    team.delete()
    r.refresh_from_db()
    assert r.assign_team is None
    assignment = lead_route(lead=LeadFactory(), by=admin_user)
    assert assignment.queued and assignment.rule_name == "Team"


def test_rule_form_refuses_nul_characters_beside_the_field(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("sales:assignment-rule-create"),
        {"name": "x", "priority": 1, "action": "queue", "cities": "Shen\x00zhen"},
    )
    assert response.status_code == 200
    assert 'data-field-error="cities"' in response.content.decode()
    assert not AssignmentRule.objects.exists()


def test_leads_list_hands_a_selection_to_the_routing_preview(client, admin_user, rep):
    first, second = LeadFactory(), LeadFactory()
    AssignmentRule.objects.create(name="Everyone", priority=1, action="user", assign_user=rep)
    client.force_login(admin_user)
    page = client.get(reverse("sales:lead-list")).content.decode()
    assert 'value="route"' in page
    answer = client.post(
        reverse("sales:lead-list"), {"action": "route", "selected": [first.pk, second.pk]}
    )
    assert answer.status_code == 302
    preview = client.get(answer["Location"])
    assert preview.status_code == 200
    shown = preview.content.decode()
    assert first.full_name in shown and second.full_name in shown
    assert "Everyone" in shown
    client.force_login(rep)  # reps may not route: no such action offered
    assert 'value="route"' not in client.get(reverse("sales:lead-list")).content.decode()
