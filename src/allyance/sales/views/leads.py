"""Web pages for leads (list, detail with score and duplicates, form, conversion) and for the
scoring rules administrators keep."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from allyance.activities.forms import ActivityForm
from allyance.activities.models import Activity
from allyance.activities.selectors import activities_visible_to
from allyance.activities.services import activity_save
from allyance.core.editing import record_form_page
from allyance.core.forms import form_errors_from
from allyance.core.listing import BulkPage, Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import get_visible_or_404
from allyance.sales.filters.leads import LeadFilter
from allyance.sales.forms.leads import LeadConvertForm, LeadForm, ScoringRuleForm
from allyance.sales.models import Lead, ScoringRule
from allyance.sales.selectors import leads as selectors
from allyance.sales.services import leads as services
from allyance.sales.services import scoring
from allyance.sales.services.routing import may_route

LEAD_LIST = RecordList(
    selector=selectors.leads_visible_to,
    filterset_class=LeadFilter,
    title=gettext_lazy("Leads"),
    columns=[
        Column("full_name", gettext_lazy("Name"), link=True),
        Column("company", gettext_lazy("Company"), sort="company"),
        Column("score", gettext_lazy("Score"), sort="score"),
        Column("status", gettext_lazy("Status")),
        Column("source", gettext_lazy("Source")),
        Column("industry", gettext_lazy("Industry")),
        Column("city", gettext_lazy("City")),
        Column("owner", gettext_lazy("Owner")),
        Column("updated_at", gettext_lazy("Updated"), sort="updated_at"),
    ],
    default_ordering="-score",
    create_url=reverse_lazy("sales:lead-create"),
    export_url=reverse_lazy("core:export", kwargs={"target": "leads"}),
    import_url=format_lazy("{}?target=leads", reverse_lazy("core:import-new")),
    bulk_actions=("assign_owner", "add_tag", "delete"),
    bulk_pages=(
        BulkPage(
            "route",
            gettext_lazy("Route by the rules"),
            reverse_lazy("sales:lead-route"),
            allowed=may_route,
        ),
    ),
)


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    return LEAD_LIST.render(request)


def _lead_saver(request: HttpRequest):
    """The save step of the form page; it warns about possible duplicates after saving."""

    def save(record, *, by, expected_version):
        lead = services.lead_save(lead=record, by=by, expected_version=expected_version)
        shown = selectors.lead_duplicates_for(by, lead)
        if shown:
            messages.warning(
                request,
                ngettext(
                    "This lead may be a duplicate of an existing record; see below.",
                    "This lead may be a duplicate of %(count)d existing records; see below.",
                    len(shown),
                )
                % {"count": len(shown)},
            )
        return lead

    return save


@login_required
def lead_create(request: HttpRequest) -> HttpResponse:
    return record_form_page(
        request,
        form_class=LeadForm,
        instance=Lead(),
        save=_lead_saver(request),
        title=_("New lead"),
        cancel_url=reverse("sales:lead-list"),
    )


@login_required
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_visible_or_404(request.user, selectors.leads_visible_to(request.user), pk=pk)
    return record_form_page(
        request,
        form_class=LeadForm,
        instance=lead,
        save=_lead_saver(request),
        title=_("Edit %(name)s") % {"name": lead},
        cancel_url=lead.get_absolute_url(),
    )


@login_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_visible_or_404(request.user, selectors.leads_visible_to(request.user), pk=pk)
    activities = activities_visible_to(request.user).filter(
        target_type=ContentType.objects.get_for_model(Lead), target_id=str(lead.pk)
    )
    return render(
        request,
        "sales/lead_detail.html",
        {
            "record": lead,
            "score_reasons": scoring.reason_texts(lead),
            "duplicates": selectors.lead_duplicates_for(request.user, lead),
            "events": selectors.lead_events_visible_to(request.user).filter(lead=lead)[:20],
            "timeline": timeline_for(lead, activities=activities, page=request.GET.get("timeline")),
        },
    )


@login_required
def lead_log_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call, meeting or note on the lead (it counts for scoring), then go back to it."""
    lead = get_visible_or_404(request.user, selectors.leads_visible_to(request.user), pk=pk)
    if not lead.is_open:
        messages.error(request, _("Log activities on the records the lead was converted to."))
        return redirect(lead.get_absolute_url())

    def save(record, *, by, expected_version):
        record.target = lead
        return activity_save(activity=record, by=by, expected_version=expected_version)

    response = record_form_page(
        request,
        form_class=ActivityForm,
        instance=Activity(),
        save=save,
        title=_("Log an activity on %(name)s") % {"name": lead},
        cancel_url=lead.get_absolute_url(),
        initial={
            "kind": request.GET.get("kind", Activity.Kind.CALL),
            "status": Activity.Status.DONE,
        },
    )
    if response.status_code == 302:  # saved: back to the lead rather than to the activity
        return redirect(lead.get_absolute_url())
    return response


@login_required
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_visible_or_404(request.user, selectors.leads_visible_to(request.user), pk=pk)
    if not lead.is_open:
        messages.error(request, _("Only an open lead can be converted."))
        return redirect(lead.get_absolute_url())
    form = LeadConvertForm(request.POST or None, user=request.user, lead=lead)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_convert(lead=lead, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The lead is converted."))
            target = lead.converted_opportunity or lead.converted_account
            return redirect(target.get_absolute_url())
    return render(
        request,
        "sales/lead_convert.html",
        {
            "record": lead,
            "form": form,
            "duplicates": selectors.lead_duplicates_for(request.user, lead),
        },
    )


# --- Scoring rules (administrators) ----------------------------------------------------


def _admin_only(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def scoring_rule_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    return render(
        request,
        "sales/scoring_rule_list.html",
        {"rules": selectors.scoring_rules_visible_to(request.user)},
    )


def _rule_form_page(request: HttpRequest, rule: ScoringRule, title: str) -> HttpResponse:
    form = ScoringRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            scoring.scoring_rule_save(rule=form.save(commit=False), by=request.user)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved. Open leads are being scored again."))
            return redirect("sales:scoring-rule-list")
    return render(
        request,
        "core/record_form.html",
        {"form": form, "title": title, "cancel_url": reverse("sales:scoring-rule-list")},
    )


@login_required
def scoring_rule_create(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    return _rule_form_page(request, ScoringRule(), _("New scoring rule"))


@login_required
def scoring_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    rule = get_object_or_404(selectors.scoring_rules_visible_to(request.user), pk=pk)
    return _rule_form_page(request, rule, _("Edit %(name)s") % {"name": rule})


@login_required
def scoring_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    rule = get_object_or_404(selectors.scoring_rules_visible_to(request.user), pk=pk)
    if request.method == "POST":
        scoring.scoring_rule_delete(rule=rule, by=request.user)
        messages.success(request, _("Deleted. Open leads are being scored again."))
        return redirect("sales:scoring-rule-list")
    return render(request, "sales/scoring_rule_confirm_delete.html", {"rule": rule})
