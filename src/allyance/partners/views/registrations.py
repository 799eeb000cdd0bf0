"""Web pages for deal registrations: the list, the partner's registration form, the detail
with the channel manager's decision, and the staff's export."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allyance.core.custom_fields.export import CustomFieldColumns
from allyance.core.exceptions import ConflictError
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.visibility import get_visible_or_404
from allyance.partners.filters.registrations import DealRegistrationFilter
from allyance.partners.forms.registrations import (
    DealRegistrationForm,
    RegistrationDecisionForm,
)
from allyance.partners.imports import REGISTRATIONS, import_url
from allyance.partners.models import DealRegistration, ProgrammeSettings
from allyance.partners.selectors.registrations import (
    conflicts_for_review,
    may_see_conflicts,
    registrations_visible_to,
)
from allyance.partners.services import registrations as services

REGISTRATION_LIST = RecordList(
    selector=registrations_visible_to,
    filterset_class=DealRegistrationFilter,
    title=gettext_lazy("Deal registrations"),
    columns=[
        Column("customer_name", gettext_lazy("Customer"), sort="customer_name", link=True),
        Column("organisation", gettext_lazy("Partner")),
        Column("status", gettext_lazy("Status")),
        Column("estimated_amount", gettext_lazy("Estimated amount"), sort="estimated_amount"),
        Column("expected_close", gettext_lazy("Expected close"), sort="expected_close"),
        Column("protected_until", gettext_lazy("Protected until"), sort="protected_until"),
        Column("submitted_at", gettext_lazy("Submitted"), sort="submitted_at"),
    ],
    template="partners/registrations_list.html",
    default_ordering="-updated_at",
    export_url=reverse_lazy("partners:registration-export"),
    # Registrations change through their decisions only, one at a time.
    bulk_actions=(),
)

STATUS_BADGES = {
    DealRegistration.Status.SUBMITTED: "bg-blue-lt",
    DealRegistration.Status.APPROVED: "bg-green-lt",
    DealRegistration.Status.REJECTED: "bg-red-lt",
    DealRegistration.Status.WITHDRAWN: "bg-secondary-lt",
    DealRegistration.Status.EXPIRED: "bg-secondary-lt",
}

SUCCESS = {
    "approve": gettext_lazy("Registration approved; the partner's opportunity is created."),
    "reject": gettext_lazy("Registration rejected."),
    "withdraw": gettext_lazy("Registration withdrawn."),
}

WHY_LABELS = {
    services.WHY_NAME: gettext_lazy("same name"),
    services.WHY_TAX_ID: gettext_lazy("same tax id"),
    services.WHY_DOMAIN: gettext_lazy("same web domain"),
}


@login_required
def registration_list(request: HttpRequest) -> HttpResponse:
    """Partners see their own, channel managers those of their partners, admins all."""
    link = import_url(REGISTRATIONS, request.user)
    return replace(REGISTRATION_LIST, import_url=link).render(request)


@login_required
def registration_create(request: HttpRequest) -> HttpResponse:
    """A partner registers a deal it found."""
    user = request.user
    if not user.is_partner:
        raise PermissionDenied(_("Only partner users register deals."))
    form = DealRegistrationForm(request.POST or None, instance=DealRegistration(), user=user)
    if request.method == "POST" and form.is_valid():
        registration = form.save(commit=False)
        try:
            registration = services.registration_submit(
                registration=registration, by=user, products=form.cleaned_data.get("products")
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Deal registered; your channel manager will decide."))
            return redirect(registration.get_absolute_url())
    return render(
        request,
        "core/record_form.html",
        {
            "form": form,
            "title": _("Register a deal"),
            "cancel_url": reverse("partners:registration-list"),
        },
    )


def _detail(
    request: HttpRequest,
    registration: DealRegistration,
    *,
    decision_form: RegistrationDecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    staff = may_see_conflicts(user)
    return render(
        request,
        "partners/registrations_detail.html",
        {
            "record": registration,
            "actions": services.allowed_actions(user, registration),
            "staff_view": staff,
            "conflicts": conflicts_for_review(registration) if staff else [],
            "why_labels": WHY_LABELS,
            "status_badge": STATUS_BADGES.get(registration.status, "bg-secondary-lt"),
            "decision_form": decision_form or RegistrationDecisionForm(),
            "default_protection_days": ProgrammeSettings.current().protection_days,
            "products": list(registration.products.all()),
        },
        status=status,
    )


def _get(request: HttpRequest, pk: int) -> DealRegistration:
    return get_visible_or_404(request.user, registrations_visible_to(request.user), pk=pk)


@login_required
def registration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


@login_required
@require_POST
def registration_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, reject or withdraw; a refusal shows its message on the registration's page."""
    registration = _get(request, pk)
    form = RegistrationDecisionForm(request.POST)
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            if action == "approve":
                services.registration_approve(
                    registration=registration,
                    by=request.user,
                    protection_days=form.cleaned_data.get("protection_days"),
                )
            elif action == "reject":
                services.registration_reject(
                    registration=registration,
                    reason=form.cleaned_data.get("reason", ""),
                    by=request.user,
                )
            else:
                services.registration_withdraw(registration=registration, by=request.user)
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        else:
            messages.success(request, str(SUCCESS[action]))
            return redirect(registration.get_absolute_url())
    registration.refresh_from_db()
    return _detail(request, registration, decision_form=form, status=400)


def registration_rows(registrations) -> list[list]:
    """The export's rows (the first one the headers): what the list shows, for staff, and
    the custom fields."""
    custom = CustomFieldColumns(DealRegistration)
    rows = [
        [
            _("ID"),
            _("Customer"),
            _("Tax id"),
            _("Web domain"),
            _("Partner"),
            _("Registered by"),
            _("Status"),
            _("Estimated amount"),
            _("Currency"),
            _("Expected close"),
            _("Products of interest"),
            _("Possible conflicts"),
            _("Submitted"),
            _("Decided"),
            _("Reason"),
            _("Protected until"),
            _("Opportunity"),
            *custom.headers(),
        ]
    ]
    for registration in registrations.prefetch_related("products").iterator(chunk_size=1000):
        submitted = registration.submitted_at
        decided = registration.decided_at
        rows.append(
            [
                registration.pk,
                registration.customer_name,
                registration.tax_id,
                registration.domain,
                registration.organisation.name,
                registration.owner.username if registration.owner_id else "",
                registration.get_status_display(),
                registration.estimated_amount,
                registration.currency,
                registration.expected_close,
                ", ".join(
                    filter(
                        None,
                        [
                            *(str(p) for p in registration.products.all()),
                            registration.product_interest,
                        ],
                    )
                ),
                len(registration.conflicts or []),
                timezone.localtime(submitted).strftime("%Y-%m-%d %H:%M") if submitted else "",
                timezone.localtime(decided).strftime("%Y-%m-%d %H:%M") if decided else "",
                registration.decision_reason,
                registration.protected_until,
                registration.opportunity_id or "",
                *custom.values(registration),
            ]
        )
    return rows


@login_required
def registration_export(request: HttpRequest) -> HttpResponse:
    """The list page's registrations (gate, filters, search) as CSV or Excel; staff only."""
    from allyance.orders.views.billing_exports import spreadsheet_response

    if not request.user.is_internal:
        raise Http404
    _filters, registrations = REGISTRATION_LIST.queryset(request)
    ordering = REGISTRATION_LIST.ordering(request)
    registrations = registrations.order_by(ordering, "-id" if ordering.startswith("-") else "id")
    return spreadsheet_response(
        registration_rows(registrations),
        file_format=request.GET.get("format", "csv"),
        filename="deal-registrations",
        sheet=_("Deal registrations"),
    )
