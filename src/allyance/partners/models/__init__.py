"""Partner relationship management records, one module per part.

Import models from here (`from allyance.partners.models import Tier`).
"""

from allyance.partners.models.distribution import DistributionRule, LeadDistribution
from allyance.partners.models.handover import OrderHandover
from allyance.partners.models.incentives import IncentivePlan
from allyance.partners.models.mdf import MdfAllocation, MdfClaim, MdfClaimLine, MdfRequest
from allyance.partners.models.ordering import HouseAccount
from allyance.partners.models.programme import (
    OnboardingItem,
    OnboardingStep,
    PartnerAgreement,
    ProgrammeSettings,
    Tier,
)
from allyance.partners.models.registrations import DealRegistration
from allyance.partners.models.training import (
    Announcement,
    Certification,
    CertificationAward,
    ContentItem,
    Course,
    CourseAttempt,
    QuizQuestion,
)

__all__ = [
    "Announcement",
    "Certification",
    "CertificationAward",
    "ContentItem",
    "Course",
    "CourseAttempt",
    "DealRegistration",
    "DistributionRule",
    "HouseAccount",
    "IncentivePlan",
    "LeadDistribution",
    "MdfAllocation",
    "MdfClaim",
    "MdfClaimLine",
    "MdfRequest",
    "OnboardingItem",
    "OnboardingStep",
    "OrderHandover",
    "PartnerAgreement",
    "ProgrammeSettings",
    "QuizQuestion",
    "Tier",
]
