"""Forms for opportunities and the contacts on them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.core.visibility import visible_to
from allyance.customers.models import Contact
from allyance.sales.filters.opportunities import StageChoiceField
from allyance.sales.models import Opportunity, OpportunityContact, Pipeline, Stage
from allyance.sales.selectors.opportunities import pipelines_to_work_in


class OpportunityForm(VersionedModelForm):
    """Create or edit a deal. A changed stage is moved by `opportunity_move`'s rules."""

    reopen = forms.BooleanField(
        label=_("Reopen this closed deal"),
        required=False,
        help_text=_("Needed to move a won or lost deal to another stage."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "account",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "close_date",
            "probability",
            "owner",
            "territory",
            "source",
            "competitors",
            "next_step",
            "loss_reason",
            "tags",
            "description",
        ]
        field_classes = {"stage": StageChoiceField}
        widgets = {
            "close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pipelines = pipelines_to_work_in(self.user)
        if self.instance.pk and self.instance.pipeline_id:
            pipelines = pipelines | Pipeline.objects.filter(pk=self.instance.pipeline_id)
        self.fields["pipeline"].queryset = pipelines.distinct()
        self.fields["pipeline"].required = False
        self.fields["pipeline"].help_text = _("Empty: the default pipeline.")
        self.fields["stage"].queryset = (
            Stage.objects.filter(pipeline__in=pipelines.values("pk"))
            .select_related("pipeline")
            .order_by("pipeline__order", "pipeline__name", "order")
        )
        self.fields["stage"].required = False
        self.fields["stage"].help_text = _("Empty: the pipeline's first stage.")
        self.fields["account"].required = True
        self.fields["amount"].widget.attrs["min"] = 0
        if not (self.instance.pk and self.instance.outcome != "open"):
            del self.fields["reopen"]
        if not self.instance.pk:  # a new deal takes the probability of its stage
            del self.fields["probability"]
        else:
            self.fields["probability"].help_text = _(
                "A move to another stage sets the stage's probability."
            )

    def clean(self):
        cleaned = super().clean()
        stage, pipeline = cleaned.get("stage"), cleaned.get("pipeline")
        if stage is not None and pipeline is None:
            cleaned["pipeline"] = stage.pipeline
            self.instance.pipeline = stage.pipeline
        elif stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
            self.add_error(
                "stage",
                _("Choose a stage of the pipeline “%(pipeline)s”.") % {"pipeline": pipeline},
            )
        return cleaned


class OpportunityContactForm(StyledFormMixin, forms.ModelForm):
    """Put a contact the user may see on a deal, with their role in it."""

    class Meta:
        model = OpportunityContact
        fields = ["contact", "role"]

    def __init__(self, *args, user=None, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = visible_to(user, Contact.objects.select_related("account"))
        if account is not None:
            # The account's people: a short picker; other contacts can be added by the API.
            contacts = contacts.filter(account=account)
        self.fields["contact"].queryset = contacts.order_by("family_name", "given_name")
