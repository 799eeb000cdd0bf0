"""Factories for every record type the tests build."""

import factory
from factory.django import DjangoModelFactory

from allyance.activities.models import Activity
from allyance.core.models import Organisation, Role, Team, Territory, User
from allyance.customers.models import Account, Contact


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
