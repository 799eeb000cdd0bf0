"""Web pages for accounts and contacts: lists, detail with timeline, create and edit."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.activities.selectors import activities_visible_to
from allyance.core.editing import record_form_page
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import get_visible_or_404
from allyance.customers import selectors, services
from allyance.customers.filters import AccountFilter, ContactFilter
from allyance.customers.forms import AccountForm, ContactForm
from allyance.customers.models import Account, Contact
from allyance.sales.selectors.leads import leads_visible_to
from allyance.sales.selectors.opportunities import opportunities_visible_to

ACCOUNT_LIST = RecordList(
    selector=selectors.accounts_visible_to,
    filterset_class=AccountFilter,
    title=gettext_lazy("Accounts"),
    columns=[
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("kind", gettext_lazy("Kind")),
        Column("industry", gettext_lazy("Industry")),
        Column("city", gettext_lazy("City"), sort="city"),
        Column("owner", gettext_lazy("Owner")),
        Column("status", gettext_lazy("Status")),
        Column("updated_at", gettext_lazy("Updated"), sort="updated_at"),
    ],
    default_ordering="-updated_at",
    create_url=reverse_lazy("customers:account-create"),
    export_url=reverse_lazy("core:export", kwargs={"target": "accounts"}),
    import_url=format_lazy("{}?target=accounts", reverse_lazy("core:import-new")),
)

CONTACT_LIST = RecordList(
    selector=selectors.contacts_visible_to,
    filterset_class=ContactFilter,
    title=gettext_lazy("Contacts"),
    columns=[
        Column("full_name", gettext_lazy("Name"), link=True),
        Column("account", gettext_lazy("Account")),
        Column("title", gettext_lazy("Job title")),
        Column("email", gettext_lazy("E-mail")),
        Column("mobile", gettext_lazy("Mobile")),
        Column("owner", gettext_lazy("Owner")),
        Column("updated_at", gettext_lazy("Updated"), sort="updated_at"),
    ],
    default_ordering="-updated_at",
    create_url=reverse_lazy("customers:contact-create"),
    export_url=reverse_lazy("core:export", kwargs={"target": "contacts"}),
    import_url=format_lazy("{}?target=contacts", reverse_lazy("core:import-new")),
)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    return ACCOUNT_LIST.render(request)


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    return CONTACT_LIST.render(request)


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_visible_or_404(request.user, selectors.accounts_visible_to(request.user), pk=pk)
    activities = activities_visible_to(request.user).filter(account=account)
    return render(
        request,
        "customers/account_detail.html",
        {
            "record": account,
            # The panel shows name and title only: no owner or account rows joined.
            "contacts": selectors.contacts_visible_to(request.user)
            .filter(account=account)
            .select_related(None)
            .only("id", "family_name", "given_name", "title")[:50],
            # Each panel reads what it shows: no owners, territories or accounts joined in.
            "children": selectors.accounts_visible_to(request.user)
            .filter(parent=account)
            .select_related(None)
            .only("id", "name")[:50],
            "opportunities": opportunities_visible_to(request.user)
            .filter(account=account)
            .select_related(None)
            .select_related("stage")
            .order_by("-updated_at", "-id")[:20],
            "source_leads": leads_visible_to(request.user)
            .filter(converted_account=account)
            .select_related(None)[:5],
            "timeline": timeline_for(
                account, activities=activities, page=request.GET.get("timeline")
            ),
        },
    )


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible_or_404(request.user, selectors.contacts_visible_to(request.user), pk=pk)
    activities = activities_visible_to(request.user).filter(contact=contact)
    return render(
        request,
        "customers/contact_detail.html",
        {
            "record": contact,
            "source_leads": leads_visible_to(request.user).filter(converted_contact=contact)[:5],
            "timeline": timeline_for(
                contact, activities=activities, page=request.GET.get("timeline")
            ),
        },
    )


def _save_account(record, *, by, expected_version):
    return services.account_save(account=record, by=by, expected_version=expected_version)


def _save_contact(record, *, by, expected_version):
    return services.contact_save(contact=record, by=by, expected_version=expected_version)


@login_required
def account_create(request: HttpRequest) -> HttpResponse:
    return record_form_page(
        request,
        form_class=AccountForm,
        instance=Account(),
        save=_save_account,
        title=_("New account"),
        cancel_url=reverse("customers:account-list"),
    )


@login_required
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_visible_or_404(request.user, selectors.accounts_visible_to(request.user), pk=pk)
    return record_form_page(
        request,
        form_class=AccountForm,
        instance=account,
        save=_save_account,
        title=_("Edit %(name)s") % {"name": account},
        cancel_url=account.get_absolute_url(),
    )


@login_required
def contact_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = request.GET["account"]
    return record_form_page(
        request,
        form_class=ContactForm,
        instance=Contact(),
        save=_save_contact,
        title=_("New contact"),
        cancel_url=reverse("customers:contact-list"),
        initial=initial,
    )


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible_or_404(request.user, selectors.contacts_visible_to(request.user), pk=pk)
    return record_form_page(
        request,
        form_class=ContactForm,
        instance=contact,
        save=_save_contact,
        title=_("Edit %(name)s") % {"name": contact},
        cancel_url=contact.get_absolute_url(),
    )
