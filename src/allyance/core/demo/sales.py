"""The sales part of the demo: a bilingual pipeline with a playbook, scoring and routing rules,
leads (some converted), deals at every stage with their history, targets, a commission plan
and expenses. Built through the services, like the rest of the demo."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from allyance.activities.models import Activity
from allyance.activities.services import activity_save
from allyance.core.demo.vocabulary import OUTCOMES, PLACES, TOPICS
from allyance.core.models import Team, User
from allyance.customers.models import Industry, SizeBand, Source
from allyance.sales.models import Lead, Opportunity, Pipeline, Stage, StageChange, Target
from allyance.sales.models.commissions import CommissionPlan
from allyance.sales.models.expenses import Expense
from allyance.sales.models.routing import AssignmentRule
from allyance.sales.models.scoring import ScoringRule
from allyance.sales.services.commissions import commission_plan_save
from allyance.sales.services.expenses import expense_approve, expense_save, expense_submit
from allyance.sales.services.leads import lead_convert, lead_save
from allyance.sales.services.opportunities import opportunity_move, opportunity_save
from allyance.sales.services.pipelines import pipeline_save, stage_save
from allyance.sales.services.routing import assignment_rule_save
from allyance.sales.services.scoring import scoring_rule_save
from allyance.sales.services.targets import target_save

if TYPE_CHECKING:
    from allyance.core.demo.builder import DemoAccount, DemoBuilder

LEADS = 60
DEALS = 45
PLAYBOOK = (
    "<p><strong>方案报价 / Proposal</strong></p>"
    "<ul><li>先确认预算与决策流程，再报价。Confirm budget and who decides before quoting.</li>"
    "<li>报价单有效期 30 天。Quotes are valid for 30 days.</li>"
    "<li>折扣超过 15% 需经理批准。Discounts above 15 % need the manager.</li></ul>"
)
# Stage names (简体 English), probability, forecast category, outcome, required fields.
STAGES = (
    ("初步接洽 Qualification", 10, "pipeline", "open", []),
    ("需求分析 Needs analysis", 20, "pipeline", "open", []),
    ("方案报价 Proposal", 50, "best_case", "open", ["amount", "close_date"]),
    ("商务谈判 Negotiation", 75, "commit", "open", ["amount", "close_date"]),
    ("赢单 Won", 100, "closed", "won", []),
    ("输单 Lost", 0, "omitted", "lost", []),
)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


class SalesDemo:
    """Adds the sales records to a demo whose people, accounts and contacts exist."""

    def __init__(self, builder: DemoBuilder, admin: User) -> None:
        self.builder = builder
        self.rng = builder.rng
        self.now = builder.now
        self.admin = admin
        self.users = builder.users
        self.history: list[tuple[Opportunity, list[StageChange]]] = []

    def build(self) -> None:
        self.build_pipeline()
        self.build_rules()
        self.build_leads()
        self.build_deals()
        self.backdate_deals()
        self.build_targets_and_plan()
        self.build_expenses()

    # --- central data ----------------------------------------------------------------------

    def build_pipeline(self) -> None:
        pipeline = pipeline_save(
            pipeline=Pipeline(name="标准销售流程 Standard sales", is_default=True), by=self.admin
        )
        self.stages: list[Stage] = []
        for order, (name, probability, category, outcome, required) in enumerate(STAGES):
            stage = Stage(
                pipeline=pipeline,
                name=name,
                order=order,
                probability=probability,
                forecast_category=category,
                outcome=outcome,
                required_fields=required,
                stall_days=21 if outcome == "open" else None,
                playbook=PLAYBOOK if order == 2 else "",
            )
            if order == 3:  # a demo has been given before the deal is negotiated
                stage.checklist = [{"kind": "meeting", "subject": "演示 Demo"}]
            self.stages.append(stage_save(stage=stage, by=self.admin))
        self.pipeline = pipeline

    def build_rules(self) -> None:
        for name, kind, field, value, points in (
            ("制造业 Manufacturing", "field", "industry", Industry.MANUFACTURING, 20),
            ("大型企业 Large company", "field", "size_band", SizeBand.ENTERPRISE, 15),
            ("推荐来源 Referral", "field", "source", Source.REFERRAL, 10),
        ):
            scoring_rule_save(
                rule=ScoringRule(name=name, kind=kind, field=field, value=value, points=points),
                by=self.admin,
            )
        scoring_rule_save(
            rule=ScoringRule(name="邮件回复 Replied", kind="reply", points=15), by=self.admin
        )
        direct = Team.objects.get(name="直销团队 Direct Sales")
        east = self.builder.territories["华东"]
        for priority, rule in enumerate(
            (
                AssignmentRule(
                    name="华东线索 East China",
                    provinces=["上海", "江苏", "浙江", "上海市", "江苏省", "浙江省"],
                    action=AssignmentRule.Action.TERRITORY,
                    assign_territory=east,
                ),
                AssignmentRule(
                    name="高分线索轮询 High scores round-robin",
                    score_min=30,
                    action=AssignmentRule.Action.ROUND_ROBIN,
                    assign_team=direct,
                ),
                AssignmentRule(
                    name="其余待分配 Everything else", action=AssignmentRule.Action.QUEUE
                ),
            ),
            start=1,
        ):
            rule.priority = priority
            assignment_rule_save(rule=rule, by=self.admin)

    # --- leads -----------------------------------------------------------------------------

    def build_leads(self) -> None:
        rng, builder = self.rng, self.builder
        marketing = self.users["marketing"]
        leads = []
        for index in range(LEADS):
            place = rng.choice(PLACES)
            chinese = place.chinese and rng.random() < 0.9
            family, given, local = builder.person(chinese)
            company, industry, domain = builder.company_name(place, chinese)
            lead = Lead(
                family_name=family,
                given_name=given,
                company=company,
                email=builder.email(local, domain),
                mobile=builder.mobile(place),
                source=rng.choice(Source.values),
                campaign=rng.choice(("", "", "2026 春季展会 Spring expo", "官网 Web")),
                country=place.country,
                province=place.province,
                city=place.city,
                industry=industry,
                size_band=rng.choice(SizeBand.values),
                budget=Decimal(rng.choice((5, 10, 30, 80))) * 10_000
                if rng.random() < 0.5
                else None,
                currency="CNY" if place.chinese else "USD",
            )
            partner = index % 6 == 0
            by = self.users["huadong.user" if partner else "marketing"]
            lead_save(lead=lead, by=by if partner else marketing)
            leads.append(lead)
        for lead in leads[1:12:2]:  # the sales team works some and qualifies a few
            lead.status = Lead.Status.WORKING
            lead_save(lead=lead, by=lead.owner or marketing)
        for lead in leads[13:20:3]:
            lead.status = Lead.Status.DISQUALIFIED
            lead.disqualified_reason = rng.choice(OUTCOMES)[0]
            lead_save(lead=lead, by=lead.owner or marketing)
        own = [lead for lead in leads if lead.owner and lead.owner.is_internal]
        for lead in [lead for lead in own if lead.status == Lead.Status.NEW][:4]:
            lead_convert(lead=lead, by=lead.owner, amount=Decimal(rng.randint(5, 60) * 10_000))

    # --- deals -----------------------------------------------------------------------------

    def deal_owner(self, demo: DemoAccount) -> User:
        return demo.account.owner

    def log_demo_meeting(self, deal: Opportunity, demo: DemoAccount, owner: User) -> None:
        activity_save(
            activity=Activity(
                kind=Activity.Kind.MEETING,
                subject="演示 Demo",
                account=deal.account,
                owner=owner,
                organisation=deal.organisation,
                starts_at=self.builder.moment(demo.place, -self.rng.randint(5, 30)),
                status=Activity.Status.DONE,
                target=deal,
            ),
            by=owner,
        )

    def build_deals(self) -> None:
        rng = self.rng
        companies = [d for d in self.builder.accounts if d.account.kind == "company"]
        won, lost = self.stages[4], self.stages[5]
        for _index in range(DEALS):
            demo = rng.choice(companies)
            owner = self.deal_owner(demo)
            topic = rng.choice(TOPICS)
            deal = opportunity_save(
                opportunity=Opportunity(
                    name=f"{demo.account.name[:20]}：{topic[0]}" if demo.chinese else topic[1],
                    account=demo.account,
                    pipeline=self.pipeline,
                    stage=self.stages[0],
                    amount=Decimal(int(rng.lognormvariate(12, 0.9)) // 1000 * 1000),
                    currency="CNY" if demo.place.chinese else "USD",
                    close_date=(self.now + timedelta(days=rng.randint(-10, 120))).date(),
                    source=rng.choice(Source.values),
                    next_step=rng.choice(("", "安排演示 Schedule the demo", "发送报价 Send quote")),
                    owner=owner,
                    organisation=demo.account.organisation,
                ),
                by=owner,
            )
            roll = rng.random()
            last = 0 if roll < 0.2 else 1 if roll < 0.4 else 2 if roll < 0.55 else 3
            for order in range(1, last + 1):
                if order == 3:
                    self.log_demo_meeting(deal, demo, owner)
                deal = opportunity_move(opportunity=deal, stage=self.stages[order], by=owner)
            if roll > 0.7:
                deal = opportunity_move(opportunity=deal, stage=won, by=owner)
            elif roll > 0.6:
                deal = opportunity_move(
                    opportunity=deal,
                    stage=lost,
                    by=owner,
                    loss_reason=rng.choice(
                        ("价格 Price", "竞争对手 Competitor", "预算取消 No budget")
                    ),
                )
            self.history.append((deal, list(deal.stage_changes.order_by("changed_at", "id"))))

    def backdate_deals(self) -> None:
        """Spread each deal's path over the past months, so the funnel and cycle mean something."""
        rng, deals, changes = self.rng, [], []
        for deal, path in self.history:
            moment = self.now - timedelta(days=rng.randint(20, 200))
            deal.created_at = moment
            previous = None
            for change in path:
                change.changed_at = moment
                change.seconds_in_from_stage = (
                    int((moment - previous).total_seconds()) if previous else None
                )
                previous = moment
                moment = min(moment + timedelta(days=rng.uniform(2, 25)), self.now)
            deal.stage_entered_at = path[-1].changed_at
            if deal.outcome != "open":
                deal.closed_at = path[-1].changed_at
                deal.close_date = deal.closed_at.date()
            deals.append(deal)
            changes.extend(path)
        Opportunity.objects.bulk_update(
            deals, ["created_at", "stage_entered_at", "closed_at", "close_date"], batch_size=200
        )
        StageChange.objects.bulk_update(
            changes, ["changed_at", "seconds_in_from_stage"], batch_size=500
        )

    # --- targets, commissions, expenses ---------------------------------------------------

    def build_targets_and_plan(self) -> None:
        start = quarter_start(self.now.date())
        reps = [self.users["rep.zhang"], self.users["rep.emily"]]
        for rep, amount in zip(reps, (800_000, 500_000), strict=True):
            target_save(
                target=Target(
                    user=rep,
                    period=Target.Period.QUARTER,
                    period_start=start,
                    amount=Decimal(amount),
                    currency="CNY",
                    count=6,
                ),
                by=self.admin,
            )
        target_save(
            target=Target(
                team=Team.objects.get(name="直销团队 Direct Sales"),
                period=Target.Period.QUARTER,
                period_start=start,
                amount=Decimal(1_500_000),
                currency="CNY",
                count=12,
            ),
            by=self.admin,
        )
        commission_plan_save(
            plan=CommissionPlan(
                name="销售提成 Sales commission",
                currency="CNY",
                period=CommissionPlan.Period.QUARTER,
                rate_kind=CommissionPlan.RateKind.TIERED,
                tier_mode=CommissionPlan.TierMode.MARGINAL,
            ),
            by=self.admin,
            tiers=[
                {"from_attainment": 0, "rate": 2},
                {"from_attainment": 50, "rate": 4},
                {"from_attainment": 100, "rate": 6},
            ],
            users=reps,
        )

    def build_expenses(self) -> None:
        rng = self.rng
        manager = self.users["manager"]
        open_deals = [
            deal for deal, _path in self.history if deal.owner.username.startswith("rep.")
        ]
        for index, deal in enumerate(open_deals[:8]):
            expense = expense_save(
                expense=Expense(
                    date=(self.now - timedelta(days=rng.randint(1, 40))).date(),
                    category=rng.choice(("travel", "meals", "entertainment")),
                    amount=Decimal(rng.randint(2, 40) * 50),
                    currency="CNY",
                    description=rng.choice(
                        ("拜访客户差旅 Customer visit", "商务宴请 Business dinner")
                    ),
                    opportunity=deal,
                ),
                by=deal.owner,
            )
            if index % 3:
                expense = expense_submit(expense=expense, by=deal.owner)
            if index % 3 == 1:
                expense_approve(expense=expense, by=manager)
