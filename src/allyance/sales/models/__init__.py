"""Sales records: leads, pipelines and their stages, opportunities, targets.

One module per part; import models from here (`from allyance.sales.models import Lead`).
"""

from allyance.sales.models.alerts import AlertSettings, LargeDealAlert, StalledDealAlert
from allyance.sales.models.commissions import CommissionPlan, CommissionTier
from allyance.sales.models.expenses import Expense
from allyance.sales.models.leads import Lead
from allyance.sales.models.money import currency_choices, default_currency
from allyance.sales.models.pipelines import (
    ForecastCategory,
    Opportunity,
    OpportunityContact,
    Pipeline,
    Stage,
    StageChange,
)
from allyance.sales.models.routing import AssignmentRule, LeadAssignment, RoundRobinCursor
from allyance.sales.models.scoring import LeadEvent, ScoringRule
from allyance.sales.models.targets import Target

__all__ = [
    "AlertSettings",
    "LargeDealAlert",
    "StalledDealAlert",
    "CommissionPlan",
    "CommissionTier",
    "Expense",
    "ForecastCategory",
    "Lead",
    "LeadEvent",
    "Opportunity",
    "OpportunityContact",
    "Pipeline",
    "ScoringRule",
    "Stage",
    "StageChange",
    "Target",
    "AssignmentRule",
    "LeadAssignment",
    "RoundRobinCursor",
    "currency_choices",
    "default_currency",
]
