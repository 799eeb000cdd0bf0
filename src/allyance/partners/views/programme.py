"""Web pages of the partner programme: tiers, settings, onboarding steps, the partner overview
and a partner's page (profile, tier policy, agreements, checklist, users, partners below), the
agreements list and page, and the partner's own "My organisation" page.

Views are thin: reads go through `selectors.programme`, writes through `services.programme`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allyance.core.editing import record_form_page
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.models import Organisation, Role
from allyance.core.views_admin import admin_required
from allyance.core.visibility import get_visible_or_404
from allyance.orders.views.billing_exports import spreadsheet_response
from allyance.partners.filters.programme import AgreementFilter
from allyance.partners.forms.programme import (
    AgreementForm,
    OnboardingStepForm,
    OnboardingTickForm,
    PartnerFilterForm,
    ProgrammeSettingsForm,
    TierForm,
)
from allyance.partners.imports import PARTNERS, import_url
from allyance.partners.models import (
    OnboardingStep,
    PartnerAgreement,
    ProgrammeSettings,
    Tier,
)
from allyance.partners.selectors import programme as selectors
from allyance.partners.services import programme as services


def _form_page(request, *, form, save, title, cancel_url, delete_url=None) -> HttpResponse:
    """Validate, call the service, go back to the list; errors stay beside the fields."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(cancel_url)
    return render(
        request,
        "core/admin_form.html",
        {"form": form, "title": title, "cancel_url": cancel_url, "delete_url": delete_url},
        status=400 if request.method == "POST" else 200,
    )


def _delete(request, *, delete, success: str, back: str) -> HttpResponse:
    try:
        delete()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(back)


def _staff_required(request: HttpRequest) -> None:
    if not request.user.is_internal:
        raise PermissionDenied


# --- Tiers ---------------------------------------------------------------------------------


@login_required
def tier_list(request: HttpRequest) -> HttpResponse:
    """The programme's tiers and their policies; everyone reads, administrators change."""
    tiers = selectors.tiers_visible_to(request.user)
    if request.user.is_internal:
        tiers = tiers.annotate(partner_count=Count("organisations", distinct=True))
    return render(
        request,
        "partners/programme_tier_list.html",
        {
            "tiers": tiers,
            "may_edit": request.user.is_admin,
            "show_counts": request.user.is_internal,
            "my_tier_id": request.user.organisation.tier_id
            if request.user.is_partner and request.user.organisation_id
            else None,
        },
    )


def _save_tier(request):
    def save(form):
        services.tier_save(
            tier=form.save(commit=False),
            by=request.user,
            required_certifications=form.cleaned_data["required_certifications"],
        )

    return save


@admin_required
def tier_create(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        form=TierForm(request.POST or None),
        save=_save_tier(request),
        title=_("New tier"),
        cancel_url=reverse("partners:tier-list"),
    )


@admin_required
def tier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tier = get_object_or_404(Tier, pk=pk)
    return _form_page(
        request,
        form=TierForm(request.POST or None, instance=tier),
        save=_save_tier(request),
        title=_("Tier %(name)s") % {"name": tier.name},
        cancel_url=reverse("partners:tier-list"),
        delete_url=reverse("partners:tier-delete", args=[tier.pk]),
    )


@admin_required
@require_POST
def tier_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tier = get_object_or_404(Tier, pk=pk)
    return _delete(
        request,
        delete=lambda: services.tier_delete(tier=tier, by=request.user),
        success=_("Tier deleted."),
        back=reverse("partners:tier-list"),
    )


# --- Programme settings --------------------------------------------------------------------


@admin_required
def programme_settings(request: HttpRequest) -> HttpResponse:
    """Lead acceptance time, deal protection and the expiry warnings."""
    form = ProgrammeSettingsForm(request.POST or None, instance=ProgrammeSettings.current())
    return _form_page(
        request,
        form=form,
        save=lambda form: services.programme_settings_save(
            settings_row=form.save(commit=False), by=request.user
        ),
        title=_("Partner programme settings"),
        cancel_url=reverse("partners:programme-settings"),
    )


# --- Onboarding steps ----------------------------------------------------------------------


@login_required
def onboarding_step_list(request: HttpRequest) -> HttpResponse:
    """The onboarding checklist every partner goes through; staff read, administrators change."""
    _staff_required(request)
    steps = selectors.onboarding_steps_visible_to(request.user).annotate(
        done_count=Count("items", filter=Q(items__done_at__isnull=False), distinct=True)
    )
    return render(
        request,
        "partners/programme_onboarding_step_list.html",
        {"steps": steps, "may_edit": request.user.is_admin},
    )


@admin_required
def onboarding_step_create(request: HttpRequest) -> HttpResponse:
    next_position = (
        OnboardingStep.objects.order_by("-position").first() or OnboardingStep()
    ).position
    return _form_page(
        request,
        form=OnboardingStepForm(request.POST or None, initial={"position": next_position + 1}),
        save=lambda form: services.onboarding_step_save(
            step=form.save(commit=False), by=request.user
        ),
        title=_("New onboarding step"),
        cancel_url=reverse("partners:onboarding-step-list"),
    )


@admin_required
def onboarding_step_edit(request: HttpRequest, pk: int) -> HttpResponse:
    step = get_object_or_404(OnboardingStep, pk=pk)
    return _form_page(
        request,
        form=OnboardingStepForm(request.POST or None, instance=step),
        save=lambda form: services.onboarding_step_save(
            step=form.save(commit=False), by=request.user
        ),
        title=_("Onboarding step"),
        cancel_url=reverse("partners:onboarding-step-list"),
        delete_url=reverse("partners:onboarding-step-delete", args=[step.pk]),
    )


@admin_required
@require_POST
def onboarding_step_delete(request: HttpRequest, pk: int) -> HttpResponse:
    step = get_object_or_404(OnboardingStep, pk=pk)
    return _delete(
        request,
        delete=lambda: services.onboarding_step_delete(step=step, by=request.user),
        success=_("Onboarding step deleted."),
        back=reverse("partners:onboarding-step-list"),
    )


# --- Partner overview ----------------------------------------------------------------------


def _overview(request: HttpRequest):
    if not selectors.may_oversee_partners(request.user):
        raise PermissionDenied
    overseen = selectors.partner_organisations_overseen_by(request.user)
    form = PartnerFilterForm(request.GET or None, managers=selectors.channel_managers_of(overseen))
    return form, selectors.partner_overview(request.user, form.values())


@login_required
def partner_list(request: HttpRequest) -> HttpResponse:
    """Partners in two-tier trees, with tier, channel manager, status, agreements ending soon
    and onboarding progress."""
    form, rows = _overview(request)
    return render(
        request,
        "partners/programme_partner_list.html",
        {
            "form": form,
            "rows": rows,
            "warning_days": ProgrammeSettings.current().agreement_warning_days,
            "query_string": request.GET.urlencode(),
            "may_create": request.user.is_admin,
            "import_url": import_url(PARTNERS, request.user),
        },
    )


@login_required
def partner_export(request: HttpRequest) -> HttpResponse:
    """The partner overview as CSV or XLSX, with the same filters."""
    _form, rows = _overview(request)
    days = ProgrammeSettings.current().agreement_warning_days
    table = [
        [
            _("ID"),
            _("Name"),
            _("Partner above"),
            _("Partner type"),
            _("Tier"),
            _("Channel manager"),
            _("Status"),
            _("Agreements ending within %(days)d days") % {"days": days},
            _("Onboarding steps done"),
            _("Onboarding steps"),
        ]
    ]
    for row in rows:
        org = row.organisation
        table.append(
            [
                org.pk,
                org.name,
                org.parent.name if org.parent_id else "",
                org.get_partner_type_display(),
                org.tier.name if org.tier_id else "",
                str(org.channel_manager) if org.channel_manager_id else "",
                org.get_status_display(),
                row.ending_soon,
                row.progress.done,
                row.progress.total,
            ]
        )
    return spreadsheet_response(
        table,
        file_format=request.GET.get("format", "csv"),
        filename="partners",
        sheet=_("Partners"),
    )


# --- A partner's page ----------------------------------------------------------------------


def _partner_context(request: HttpRequest, organisation: Organisation, *, mine: bool) -> dict:
    user = request.user
    items = services.onboarding_items_ensure(organisation=organisation)
    agreements = (
        selectors.agreements_visible_to(user)
        .filter(organisation=organisation)
        .order_by("ends_on", "name", "pk")
    )
    days = ProgrammeSettings.current().agreement_warning_days
    ending_ids = set(selectors.ending_within(agreements, days).values_list("pk", flat=True))
    below = selectors.partner_organisations_readable_by(user).filter(parent=organisation)
    tier = (
        Tier.objects.select_related("price_list")
        .prefetch_related("required_certifications")
        .filter(pk=organisation.tier_id)
        .first()
    )
    show_users = user.is_internal or user.organisation_id == organisation.pk
    return {
        "organisation": organisation,
        "tier": tier,
        "agreements": agreements,
        "ending_ids": ending_ids,
        "warning_days": days,
        "items": items,
        "done_count": sum(1 for item in items if item.done_at),
        "users": organisation.users.order_by("-is_active", "username") if show_users else None,
        "below": below.select_related("tier").order_by("name"),
        "may_manage": selectors.may_manage_partner(user, organisation),
        "may_share": _may_share(user, organisation),
        "mine": mine,
    }


def _may_share(user, organisation: Organisation) -> bool:
    if organisation.parent_id is None:
        return False
    return user.is_admin or (
        user.role == Role.PARTNER_ADMIN and user.organisation_id == organisation.pk
    )


@login_required
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if user.is_partner and user.organisation_id == pk:
        return redirect("partners:my-organisation")
    organisation = get_object_or_404(
        selectors.partner_organisations_readable_by(user).select_related(
            "tier", "parent", "channel_manager"
        ),
        pk=pk,
    )
    return render(
        request,
        "partners/programme_partner_detail.html",
        _partner_context(request, organisation, mine=False),
    )


@login_required
def my_organisation(request: HttpRequest) -> HttpResponse:
    """A partner's own profile, tier and policy, agreements and checklist (read-only)."""
    user = request.user
    if not user.is_partner or user.organisation_id is None:
        raise PermissionDenied
    organisation = get_object_or_404(
        Organisation.objects.select_related("tier", "parent", "channel_manager"),
        pk=user.organisation_id,
    )
    return render(
        request,
        "partners/programme_partner_detail.html",
        _partner_context(request, organisation, mine=True),
    )


@login_required
@require_POST
def organisation_sharing(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn "the partner above sees our records" on or off."""
    user = request.user
    organisation = get_object_or_404(selectors.partner_organisations_readable_by(user), pk=pk)
    share = request.POST.get("share") == "on"
    try:
        services.organisation_share_with_parent(organisation=organisation, share=share, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if share:
            messages.success(request, _("The partner above now sees your records."))
        else:
            messages.success(request, _("The partner above no longer sees your records."))
    if user.is_partner and user.organisation_id == organisation.pk:
        return redirect("partners:my-organisation")
    return redirect("partners:partner-detail", pk=organisation.pk)


@login_required
@require_POST
def onboarding_item_tick(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Tick a checklist step done (or untick it); the channel manager or an administrator."""
    item = get_visible_or_404(
        request.user,
        selectors.onboarding_items_visible_to(request.user),
        pk=item_pk,
        organisation_id=pk,
    )
    form = OnboardingTickForm(request.POST)
    form.is_valid()
    services.onboarding_item_tick(
        item=item,
        done=form.cleaned_data.get("done", False),
        note=form.cleaned_data.get("note") if "note" in request.POST else None,
        by=request.user,
    )
    messages.success(request, _("Checklist updated."))
    return redirect(reverse("partners:partner-detail", args=[pk]) + "#onboarding")


# --- Agreements ----------------------------------------------------------------------------


def agreement_list_for(user) -> RecordList:
    return RecordList(
        selector=selectors.agreements_visible_to,
        filterset_class=AgreementFilter,
        title=gettext_lazy("Partner agreements"),
        columns=[
            Column("name", gettext_lazy("Name"), sort="name", link=True),
            Column("organisation__name", gettext_lazy("Partner"), sort="organisation__name"),
            Column("kind", gettext_lazy("Kind")),
            Column("reference", gettext_lazy("Reference")),
            Column("starts_on", gettext_lazy("Starts"), sort="starts_on"),
            Column("ends_on", gettext_lazy("Ends"), sort="ends_on"),
            Column("warned_at", gettext_lazy("Expiry warning sent")),
        ],
        default_ordering="ends_on",
        create_url=None,
        bulk_actions=(),
        export_url=None,
    )


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    """Every agreement the user may see; `?ending_within=30` shows those ending soon."""
    if request.method == "POST":
        raise PermissionDenied
    return agreement_list_for(request.user).render(request)


def _save_agreement(record, *, by, expected_version):
    return services.agreement_save(agreement=record, by=by, expected_version=expected_version)


@login_required
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(
        selectors.partner_organisations_overseen_by(request.user), pk=pk
    )
    if not selectors.may_manage_partner(request.user, organisation):
        raise PermissionDenied
    return record_form_page(
        request,
        form_class=AgreementForm,
        instance=PartnerAgreement(organisation=organisation),
        save=_save_agreement,
        title=_("New agreement of %(partner)s") % {"partner": organisation.name},
        cancel_url=reverse("partners:partner-detail", args=[organisation.pk]),
    )


def _agreement_or_404(request: HttpRequest, pk: int) -> PartnerAgreement:
    return get_visible_or_404(request.user, selectors.agreements_visible_to(request.user), pk=pk)


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)
    days = ProgrammeSettings.current().agreement_warning_days
    return render(
        request,
        "partners/programme_agreement_detail.html",
        {
            "record": agreement,
            "may_manage": selectors.may_manage_partner(request.user, agreement.organisation),
            "ending_soon": selectors.ending_within(
                PartnerAgreement.objects.filter(pk=agreement.pk), days
            ).exists(),
            "partner_url": reverse("partners:partner-detail", args=[agreement.organisation_id])
            if request.user.is_internal
            else reverse("partners:my-organisation"),
        },
    )


@login_required
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)
    if not selectors.may_manage_partner(request.user, agreement.organisation):
        raise PermissionDenied
    return record_form_page(
        request,
        form_class=AgreementForm,
        instance=agreement,
        save=_save_agreement,
        title=_("Edit agreement"),
        cancel_url=agreement.get_absolute_url(),
    )


@login_required
@require_POST
def agreement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)
    organisation_id = agreement.organisation_id
    services.agreement_delete(agreement=agreement, by=request.user)
    messages.success(request, _("Agreement deleted."))
    return redirect("partners:partner-detail", pk=organisation_id)
