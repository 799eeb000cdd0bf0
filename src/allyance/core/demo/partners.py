"""The demo's partner programme: tiers and agreements, distributed leads, deal registrations,
MDF, partner orders, warranty claims, training, content and incentives.

Each part of PRM builds its own records (`allyance.partners.demo.<part>.build`), through the
services, for the three demo partners: the distributor 华东 (Gold), its reseller 金桥 (Silver)
and the agent Pacific Bridge (Registered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from allyance.core import audit

if TYPE_CHECKING:
    import random
    from datetime import date, datetime

    from allyance.core.demo.builder import DemoBuilder
    from allyance.core.models import Organisation, User


@dataclass
class PartnersDemo:
    """What every part's demo needs: the builder's people and partners, the clock, the dice."""

    builder: DemoBuilder
    admin: User

    @property
    def rng(self) -> random.Random:
        return self.builder.rng

    @property
    def now(self) -> datetime:
        return self.builder.now

    @property
    def today(self) -> date:
        return self.builder.now.date()

    @property
    def partners(self) -> dict[str, Organisation]:
        """By key: "huadong" (distributor), "jinqiao" (its reseller), "pacific" (agent)."""
        return self.builder.partners

    @property
    def users(self) -> dict[str, User]:
        """Staff by username ("channel", "manager", "rep.zhang" …) and partner users by
        "<partner key>.admin" / "<partner key>.user"."""
        return self.builder.users

    def build(self) -> None:
        from allyance.partners.demo import (
            distribution,
            incentives,
            mdf,
            ordering,
            programme,
            registrations,
            service,
            training,
        )

        with audit.acting_as(self.admin):
            for part in (
                programme,
                training,
                distribution,
                registrations,
                mdf,
                ordering,
                service,
                incentives,
            ):
                part.build(self)
