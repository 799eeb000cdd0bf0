"""Template context shared by every page: the navigation the user's role allows."""

from dataclasses import dataclass, field
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@lru_cache(maxsize=256)
def _reversed(url_name: str, prefix: str, urlconf: str | None) -> str:
    return django_reverse(url_name, urlconf=urlconf)


def reverse(url_name: str) -> str:
    """The menu's URLs are the same on every request (no arguments): reversed once per
    process, not ~40 times per page."""
    return _reversed(url_name, get_script_prefix(), get_urlconf())


@dataclass
class NavItem:
    label: str
    url: str
    icon: str
    children: list["NavItem"] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [self.url, *(child.url for child in self.children)]


def _group(label, icon: str, children: list[NavItem]) -> NavItem | None:
    """A menu of several pages; a single page stands on its own."""
    if not children:
        return None
    if len(children) == 1:
        return children[0]
    return NavItem(label, children[0].url, icon, children)


def _item(label, url_name: str, icon: str) -> NavItem:
    return NavItem(label, reverse(url_name), icon)


def _partner_portal_navigation(user) -> list[NavItem | None]:
    """A partner user's own portal: their leads and deals, customers, orders, funds, service,
    training and scorecard; the programme's central data read-only."""
    return [
        _item(_("Home"), "partners:portal-home", "home"),
        _group(
            _("Leads and deals"),
            "trending-up",
            [
                _item(_("Leads offered to us"), "partners:distribution-list", "inbox"),
                _item(_("Leads"), "sales:lead-list", "user-search"),
                _item(_("Deal registrations"), "partners:registration-list", "shield-check"),
                _item(_("Opportunities"), "sales:opportunity-list", "list-details"),
                _item(_("Pipeline board"), "sales:opportunity-board", "layout-kanban"),
            ],
        ),
        _group(
            _("Customers"),
            "building",
            [
                _item(_("Accounts"), "customers:account-list", "building"),
                _item(_("Contacts"), "customers:contact-list", "users"),
                _item(_("Activities"), "activities:activity-list", "calendar-event"),
                _item(_("Calendar"), "activities:calendar", "calendar"),
                _item(_("Tasks"), "activities:task-list", "checklist"),
            ],
        ),
        _group(
            pgettext_lazy("menu of quotes, sales orders and invoices", "Orders"),
            "truck-delivery",
            [
                _item(_("Place an order"), "partners:portal-order-create", "shopping-cart"),
                _item(pgettext_lazy("sales orders", "Orders"), "orders:order-list", "truck"),
                _item(_("Orders handed down"), "partners:order-handover-list", "arrow-down-right"),
                _item(_("Quotes"), "orders:quote-list", "file-dollar"),
                _item(_("Invoices"), "orders:invoice-list", "file-invoice"),
                _item(_("Products"), "catalog:product-list", "package"),
                _item(_("Price lists"), "catalog:price-list-list", "tags"),
                _item(_("Configurator"), "catalog:configurator", "adjustments"),
            ],
        ),
        _group(
            _("Marketing funds"),
            "coin",
            [
                _item(_("MDF ledger"), "partners:mdf-ledger", "report-money"),
                _item(_("Fund requests"), "partners:mdf-request-list", "file-plus"),
                _item(_("Claims"), "partners:mdf-claim-list", "receipt"),
            ],
        ),
        _item(_("Service and warranty"), "service:case-list", "lifebuoy"),
        _group(
            _("Training"),
            "school",
            [
                _item(_("Courses"), "partners:course-list", "school"),
                _item(_("Certifications"), "partners:certification-list", "certificate"),
                _item(_("Content library"), "partners:content-list", "books"),
            ],
        ),
        _group(
            _("Our partnership"),
            "award",
            [
                _item(_("Scorecard"), "partners:scorecard", "chart-bar"),
                _item(_("Our organisation"), "partners:my-organisation", "building-community"),
                *(
                    [_item(_("My users"), "core:my-users", "users-group")]
                    if user.role == "partner_admin"
                    else []
                ),
            ],
        ),
    ]


def _partner_programme_pages(user) -> list[NavItem]:
    """The channel's pages for company staff; the programme's set-up for those who run it."""
    runs_programme = user.is_admin or user.role == "channel_manager"
    return [
        *([_item(_("Partners"), "partners:partner-list", "building-community")]
          if runs_programme else []),
        _item(_("Lead distribution"), "partners:distribution-list", "arrows-split"),
        _item(_("Orders handed down"), "partners:order-handover-list", "arrow-down-right"),
        _item(_("Deal registrations"), "partners:registration-list", "shield-check"),
        _item(_("MDF ledger"), "partners:mdf-ledger", "report-money"),
        _item(_("Fund requests"), "partners:mdf-request-list", "file-plus"),
        _item(_("Claims"), "partners:mdf-claim-list", "receipt"),
        _item(_("Scorecards"), "partners:scorecard-compare", "chart-bar"),
        _item(_("Lead distribution report"), "partners:distribution-report", "chart-pie"),
        _item(_("Courses"), "partners:course-list", "school"),
        _item(_("Certifications"), "partners:certification-list", "certificate"),
        _item(_("Content library"), "partners:content-list", "books"),
        *(
            [
                _item(_("Announcements"), "partners:announcement-list", "speakerphone"),
                _item(_("Agreements"), "partners:agreement-list", "file-certificate"),
                _item(_("Tiers"), "partners:tier-list", "stairs"),
                _item(_("Distribution rules"), "partners:distribution-rule-list", "route"),
                _item(_("Incentive plans"), "partners:incentive-plan-list", "gift"),
                _item(_("Onboarding steps"), "partners:onboarding-step-list", "list-check"),
            ]
            if runs_programme
            else []
        ),
        *(
            [_item(_("Programme settings"), "partners:programme-settings", "settings")]
            if user.is_admin
            else []
        ),
    ]  # fmt: skip


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    if user.is_partner:
        return {
            "nav_items": [item for item in _partner_portal_navigation(user) if item is not None]
        }
    staff_or_partner = user.is_internal or user.is_partner
    time_pages = [
        NavItem(_("Activities"), reverse("activities:activity-list"), "calendar-event"),
        NavItem(_("Calendar"), reverse("activities:calendar"), "calendar"),
        NavItem(_("Tasks"), reverse("activities:task-list"), "checklist"),
    ]
    sales_pages = [
        NavItem(_("Leads"), reverse("sales:lead-list"), "user-search"),
        *(
            [NavItem(_("Lead queue"), reverse("sales:lead-queue-list"), "inbox")]
            if user.is_internal
            else []
        ),
        NavItem(_("Opportunities"), reverse("sales:opportunity-list"), "list-details"),
        NavItem(_("Pipeline board"), reverse("sales:opportunity-board"), "layout-kanban"),
        *(
            [
                NavItem(_("Forecast"), reverse("sales:forecast"), "chart-bar"),
                NavItem(_("Funnel"), reverse("sales:funnel"), "chart-funnel"),
                NavItem(_("Performance"), reverse("sales:performance"), "chart-line"),
            ]
            if staff_or_partner
            else []
        ),
        *(
            [NavItem(_("Targets"), reverse("sales:target-list"), "target")]
            if user.is_internal
            else []
        ),
        *(
            [NavItem(_("Expenses"), reverse("sales:expense-list"), "receipt")]
            if not user.is_customer
            else []
        ),
        *(
            [NavItem(_("Commissions"), reverse("sales:commission-statement"), "coin")]
            if user.is_internal
            else []
        ),
    ]
    catalog_pages = (
        [
            NavItem(_("Products"), reverse("catalog:product-list"), "package"),
            NavItem(_("Price lists"), reverse("catalog:price-list-list"), "tags"),
            NavItem(_("Configurator"), reverse("catalog:configurator"), "adjustments"),
        ]
        if staff_or_partner
        else []
    )
    order_pages = (
        [
            NavItem(_("Quotes"), reverse("orders:quote-list"), "file-dollar"),
            *(
                [NavItem(_("Approvals"), reverse("orders:quote-approval-list"), "rosette")]
                if user.is_admin or user.role == "sales_manager"
                else []
            ),
            NavItem(_("Orders"), reverse("orders:order-list"), "truck-delivery"),
            NavItem(_("Invoices"), reverse("orders:invoice-list"), "file-invoice"),
            NavItem(_("Payments received"), reverse("orders:payment-list"), "cash"),
            NavItem(_("Receivables"), reverse("orders:receivables"), "report-money"),
        ]
        if staff_or_partner
        else []
    )
    items = [
        NavItem(_("Home"), reverse("home"), "home"),
        NavItem(_("Accounts"), reverse("customers:account-list"), "building"),
        NavItem(_("Contacts"), reverse("customers:contact-list"), "users"),
        _group(_("Activities"), "calendar-event", time_pages),
        _group(_("Sales"), "trending-up", sales_pages),
        _group(_("Catalog"), "package", catalog_pages),
        _group(
            pgettext_lazy("menu of quotes, sales orders and invoices", "Orders"),
            "truck-delivery",
            order_pages,
        ),
    ]
    if user.is_internal:
        items.append(_group(_("Partners"), "building-community", _partner_programme_pages(user)))
        items.append(_item(_("Service"), "service:case-list", "lifebuoy"))
    if user.is_admin:
        items.append(NavItem(_("Administration"), reverse("core:admin-home"), "settings"))
    return {"nav_items": [item for item in items if item is not None]}
