"""Forms of orders handed down the channel: hand an order to a partner, say why it goes back."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin
from allyance.core.models import Organisation, Role
from allyance.core.visibility import managed_organisation_ids_of
from allyance.partners.models import OrderHandover
from allyance.partners.services.distribution import resellers_of
from allyance.partners.services.handover import MAX_NOTE


def partners_to_hand_to(user):
    """Whom the user may hand an order to: a distributor's admin, its resellers directly below;
    a channel manager, the active partners they look after; administrators and sales
    managers, every active partner."""
    if user.is_partner:
        return resellers_of(user.organisation_id)
    active = Organisation.objects.filter(
        kind=Organisation.Kind.PARTNER, status=Organisation.Status.ACTIVE
    ).order_by("name")
    if user.role == Role.CHANNEL_MANAGER and not user.is_superuser:
        return active.filter(pk__in=managed_organisation_ids_of(user))
    return active


class HandDownForm(StyledFormMixin, forms.Form):
    """Hand an order to a partner to fulfil, with a note for it."""

    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Organisation.objects.none())
    note = forms.CharField(
        label=_("Note for the partner"),
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["partner"].queryset = partners_to_hand_to(user)
            if user.is_partner:
                self.fields["partner"].label = _("Reseller")


class HandoverReasonForm(StyledFormMixin, forms.Form):
    """Why an order is handed back or recalled."""

    reason = forms.CharField(label=_("Reason"), max_length=255)


class HandoverFilterForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *OrderHandover.Status.choices],
        required=False,
    )
