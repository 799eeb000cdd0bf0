"""Forms for targets and for the alert settings (large-deal threshold)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin
from allyance.core.models import STAFF_ROLES, Team, Territory, User
from allyance.core.visibility import team_member_ids_of, territory_ids_of
from allyance.sales.models import AlertSettings, Target


class TargetForm(StyledFormMixin, forms.ModelForm):
    """A target for one user, team or territory; a sales manager chooses among their own."""

    class Meta:
        model = Target
        fields = [
            "user",
            "team",
            "territory",
            "period",
            "period_start",
            "amount",
            "currency",
            "count",
        ]
        widgets = {"period_start": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "period_start": _("Any day of the month or quarter; its first day is stored."),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        users = User.objects.filter(is_active=True, role__in=STAFF_ROLES)
        teams = Team.objects.all()
        territories = Territory.objects.all()
        if not user.is_admin:
            users = users.filter(pk__in=team_member_ids_of(user))
            teams = user.managed_teams.all()
            territories = territories.filter(pk__in=territory_ids_of(user))
        self.fields["user"].queryset = users
        self.fields["team"].queryset = teams
        self.fields["territory"].queryset = territories
        self.fields["amount"].min_value = 0
        self.fields["amount"].widget.attrs["min"] = 0

    def validate_constraints(self):
        """The service checks "exactly one of user, team, territory" and reports it by field."""

    def clean(self):
        cleaned = super().clean()
        chosen = [name for name in ("user", "team", "territory") if cleaned.get(name)]
        if len(chosen) != 1:
            self.add_error("user", _("Choose exactly one user, team or territory."))
        return cleaned


class AlertSettingsForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = AlertSettings
        fields = ["large_deal_amount", "large_deal_currency"]
