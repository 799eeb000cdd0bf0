"""Factories for every record type the tests build."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from allyance.activities.models import Activity
from allyance.core.models import Organisation, Role, Team, Territory, User
from allyance.customers.models import Account, Contact
from allyance.sales.models import Lead, Opportunity, Pipeline, Stage, Target


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Partner {n}")
    kind = Organisation.Kind.PARTNER
    partner_type = Organisation.PartnerType.RESELLER


def company() -> Organisation:
    return Organisation.company()


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    role = Role.SALES_REP
    organisation = factory.LazyFunction(company)
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class TerritoryFactory(DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Territory {n}")


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n} Ltd")
    organisation = factory.LazyFunction(company)
    city = "Shanghai"


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    family_name = factory.Sequence(lambda n: f"Family{n}")
    given_name = "Given"
    organisation = factory.LazyFunction(company)
    account = factory.SubFactory(
        AccountFactory, organisation=factory.SelfAttribute("..organisation")
    )
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity

    kind = Activity.Kind.CALL
    subject = factory.Sequence(lambda n: f"Call {n}")
    organisation = factory.LazyFunction(company)
    account = factory.SubFactory(
        AccountFactory, organisation=factory.SelfAttribute("..organisation")
    )


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = Lead

    family_name = factory.Sequence(lambda n: f"Lead{n}")
    given_name = "Pat"
    company = factory.Sequence(lambda n: f"Prospect {n} Co")
    organisation = factory.LazyFunction(Organisation.company)  # `company` here is the field
    email = factory.Sequence(lambda n: f"lead{n}@example.com")


class PipelineFactory(DjangoModelFactory):
    """A pipeline with four stages: two open, won and lost."""

    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Pipeline {n}")

    @factory.post_generation
    def stages(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for order, (name, probability, category, outcome) in enumerate(
            [
                ("Qualify", 10, "pipeline", "open"),
                ("Propose", 50, "best_case", "open"),
                ("Won", 100, "closed", "won"),
                ("Lost", 0, "omitted", "lost"),
            ]
        ):
            Stage.objects.create(
                pipeline=self,
                name=name,
                order=order,
                probability=probability,
                forecast_category=category,
                outcome=outcome,
            )


class OpportunityFactory(DjangoModelFactory):
    """An open deal in the first stage of a fresh pipeline unless told otherwise."""

    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Deal {n}")
    organisation = factory.LazyFunction(company)
    account = factory.SubFactory(
        AccountFactory, organisation=factory.SelfAttribute("..organisation")
    )
    pipeline = factory.SubFactory(PipelineFactory)
    stage = factory.LazyAttribute(lambda o: o.pipeline.stages.order_by("order").first())
    probability = factory.LazyAttribute(lambda o: o.stage.probability)
    forecast_category = factory.LazyAttribute(lambda o: o.stage.forecast_category)
    outcome = factory.LazyAttribute(lambda o: o.stage.outcome)
    amount = 10000
    currency = "CNY"


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    user = factory.SubFactory(UserFactory)
    period = Target.Period.QUARTER
    period_start = datetime.date(2026, 10, 1)
    amount = 100000
    currency = "CNY"


# Catalog and orders. Documents are made directly, without the services' rules; tests of
# a rule go through the service.


class TaxClassFactory(DjangoModelFactory):
    class Meta:
        model = "catalog.TaxClass"
        django_get_or_create = ("name",)

    name = "VAT 13%"
    rate = "13.00"


class ProductFamilyFactory(DjangoModelFactory):
    class Meta:
        model = "catalog.ProductFamily"

    name = factory.Sequence(lambda n: f"Family {n}")


class ProductFactory(DjangoModelFactory):
    """An active product of the company's catalog, taxed at 13 %."""

    class Meta:
        model = "catalog.Product"

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    organisation = factory.LazyFunction(company)
    unit = "pcs"
    tax_class = factory.SubFactory(TaxClassFactory)


class PriceListFactory(DjangoModelFactory):
    class Meta:
        model = "catalog.PriceList"

    name = factory.Sequence(lambda n: f"Price list {n}")
    organisation = factory.LazyFunction(company)
    currency = "CNY"


class PriceListItemFactory(DjangoModelFactory):
    class Meta:
        model = "catalog.PriceListItem"

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    price = "100.00"


class QuoteFactory(DjangoModelFactory):
    """A draft quote for a company account on a fresh CNY price list."""

    class Meta:
        model = "orders.Quote"

    number = factory.Sequence(lambda n: f"Q-2026-{n:05d}")
    organisation = factory.LazyFunction(company)
    account = factory.SubFactory(
        AccountFactory, organisation=factory.SelfAttribute("..organisation")
    )
    price_list = factory.SubFactory(PriceListFactory)
    currency = "CNY"


class QuoteLineFactory(DjangoModelFactory):
    class Meta:
        model = "orders.QuoteLine"

    quote = factory.SubFactory(QuoteFactory)
    product = factory.SubFactory(ProductFactory)
    description = factory.LazyAttribute(lambda o: o.product.name)
    quantity = 1
    list_price = "100.00"
    unit_price = "100.00"
    tax_rate = "13.00"


class OrderFactory(DjangoModelFactory):
    """A confirmed order for a company account, dated today."""

    class Meta:
        model = "orders.Order"

    number = factory.Sequence(lambda n: f"SO-2026-{n:05d}")
    organisation = factory.LazyFunction(company)
    account = factory.SubFactory(
        AccountFactory, organisation=factory.SelfAttribute("..organisation")
    )
    currency = "CNY"
    order_date = factory.LazyFunction(datetime.date.today)


class OrderLineFactory(DjangoModelFactory):
    class Meta:
        model = "orders.OrderLine"

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    description = factory.LazyAttribute(lambda o: o.product.name)
    quantity = 1
    list_price = "100.00"
    unit_price = "100.00"
    tax_rate = "13.00"


class InvoiceFactory(DjangoModelFactory):
    """An issued invoice due in 30 days; set `total` (and lines) as the test needs."""

    class Meta:
        model = "orders.Invoice"

    number = factory.Sequence(lambda n: f"INV-2026-{n:05d}")
    organisation = factory.LazyFunction(company)
    account = factory.SubFactory(
        AccountFactory, organisation=factory.SelfAttribute("..organisation")
    )
    currency = "CNY"
    issue_date = factory.LazyFunction(datetime.date.today)
    due_date = factory.LazyAttribute(lambda o: o.issue_date + datetime.timedelta(days=30))


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = "orders.Payment"

    organisation = factory.LazyFunction(company)
    account = factory.SubFactory(
        AccountFactory, organisation=factory.SelfAttribute("..organisation")
    )
    received_on = factory.LazyFunction(datetime.date.today)
    amount = "100.00"
    currency = "CNY"


# --- Partner relationship management and service --------------------------------------------


class TierFactory(DjangoModelFactory):
    class Meta:
        model = "partners.Tier"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Tier {n}")
    rank = 1


class PartnerAgreementFactory(DjangoModelFactory):
    class Meta:
        model = "partners.PartnerAgreement"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Reseller agreement {n}")
    starts_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=335))


class OnboardingStepFactory(DjangoModelFactory):
    class Meta:
        model = "partners.OnboardingStep"

    name = factory.Sequence(lambda n: f"Onboarding step {n}")
    position = factory.Sequence(lambda n: n)


class DistributionRuleFactory(DjangoModelFactory):
    class Meta:
        model = "partners.DistributionRule"

    name = factory.Sequence(lambda n: f"Distribution rule {n}")


class LeadDistributionFactory(DjangoModelFactory):
    """A lead offered to a partner, answer due in 48 hours (the lead moves to the partner)."""

    class Meta:
        model = "partners.LeadDistribution"

    organisation = factory.SubFactory(OrganisationFactory)
    lead = factory.SubFactory(LeadFactory, organisation=factory.SelfAttribute("..organisation"))
    offered_at = factory.LazyFunction(timezone.now)
    respond_by = factory.LazyAttribute(lambda o: o.offered_at + datetime.timedelta(hours=48))


class DealRegistrationFactory(DjangoModelFactory):
    class Meta:
        model = "partners.DealRegistration"

    organisation = factory.SubFactory(OrganisationFactory)
    customer_name = factory.Sequence(lambda n: f"Registered customer {n}")
    estimated_amount = "50000.00"
    currency = "CNY"
    submitted_at = factory.LazyFunction(timezone.now)


class MdfAllocationFactory(DjangoModelFactory):
    """This quarter's funds for a partner."""

    class Meta:
        model = "partners.MdfAllocation"

    organisation = factory.SubFactory(OrganisationFactory)
    period_start = factory.LazyFunction(
        lambda: datetime.date(
            datetime.date.today().year, 3 * ((datetime.date.today().month - 1) // 3) + 1, 1
        )
    )
    period_end = factory.LazyAttribute(
        lambda o: (
            datetime.date(o.period_start.year + (o.period_start.month + 3 > 12),
                          (o.period_start.month + 2) % 12 + 1, 1)
            - datetime.timedelta(days=1)
        )
    )  # fmt: skip
    amount = "10000.00"
    currency = "CNY"


class MdfRequestFactory(DjangoModelFactory):
    class Meta:
        model = "partners.MdfRequest"

    allocation = factory.SubFactory(MdfAllocationFactory)
    organisation = factory.SelfAttribute("allocation.organisation")
    activity_name = factory.Sequence(lambda n: f"Roadshow {n}")
    plan = "Two seminars with a product demo."
    amount = "3000.00"
    expected_leads = 20


class MdfClaimFactory(DjangoModelFactory):
    class Meta:
        model = "partners.MdfClaim"

    request = factory.SubFactory(MdfRequestFactory, status="approved", approved_amount="3000.00")
    organisation = factory.SelfAttribute("request.organisation")
    invoice_number = factory.Sequence(lambda n: f"EXP-{n:05d}")
    invoice_date = factory.LazyFunction(datetime.date.today)
    amount = "2500.00"


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = "partners.Course"

    title = factory.Sequence(lambda n: f"Storage sales basics {n}")
    materials = "What the product does and for whom."
    pass_mark_percent = 50


class QuizQuestionFactory(DjangoModelFactory):
    class Meta:
        model = "partners.QuizQuestion"

    course = factory.SubFactory(CourseFactory)
    text = factory.Sequence(lambda n: f"Question {n}?")
    choices = ["Right", "Wrong"]
    correct_choice = 0


class CertificationFactory(DjangoModelFactory):
    class Meta:
        model = "partners.Certification"

    name = factory.Sequence(lambda n: f"Certified storage seller {n}")
    course = factory.SubFactory(CourseFactory)
    valid_months = 24


class CertificationAwardFactory(DjangoModelFactory):
    class Meta:
        model = "partners.CertificationAward"

    certification = factory.SubFactory(CertificationFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    holder = factory.SubFactory(
        UserFactory, role=Role.PARTNER_USER, organisation=factory.SelfAttribute("..organisation")
    )
    awarded_on = factory.LazyFunction(datetime.date.today)
    expires_on = factory.LazyAttribute(lambda o: o.awarded_on + datetime.timedelta(days=730))


class ContentItemFactory(DjangoModelFactory):
    class Meta:
        model = "partners.ContentItem"

    title = factory.Sequence(lambda n: f"Sales deck {n}")
    kind = "sales_deck"


class AnnouncementFactory(DjangoModelFactory):
    class Meta:
        model = "partners.Announcement"

    title = factory.Sequence(lambda n: f"Announcement {n}")
    body = "New products this quarter."
    publish_from = factory.LazyFunction(datetime.date.today)


class IncentivePlanFactory(DjangoModelFactory):
    class Meta:
        model = "partners.IncentivePlan"

    name = factory.Sequence(lambda n: f"Rebate plan {n}")
    kind = "rebate"
    currency = "CNY"
    rebate_percent = "2.00"
    threshold = "100000.00"


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = "service.Case"

    organisation = factory.LazyFunction(company)
    account = factory.SubFactory(
        AccountFactory, organisation=factory.SelfAttribute("..organisation")
    )
    number = factory.Sequence(lambda n: f"CASE-2026-{n:05d}")
    subject = factory.Sequence(lambda n: f"Disk array fault {n}")
    problem = "A disk shows a red light."
