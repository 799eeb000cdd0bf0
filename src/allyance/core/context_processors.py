"""Template context shared by every page: the navigation the user's role allows."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allyance.core.record_urls import page_url


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
    return NavItem(label, page_url(url_name), icon)


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
        NavItem(_("Activities"), page_url("activities:activity-list"), "calendar-event"),
        NavItem(_("Calendar"), page_url("activities:calendar"), "calendar"),
        NavItem(_("Tasks"), page_url("activities:task-list"), "checklist"),
    ]
    sales_pages = [
        NavItem(_("Leads"), page_url("sales:lead-list"), "user-search"),
        *(
            [NavItem(_("Lead queue"), page_url("sales:lead-queue-list"), "inbox")]
            if user.is_internal
            else []
        ),
        NavItem(_("Opportunities"), page_url("sales:opportunity-list"), "list-details"),
        NavItem(_("Pipeline board"), page_url("sales:opportunity-board"), "layout-kanban"),
        *(
            [
                NavItem(_("Forecast"), page_url("sales:forecast"), "chart-bar"),
                NavItem(_("Funnel"), page_url("sales:funnel"), "chart-funnel"),
                NavItem(_("Performance"), page_url("sales:performance"), "chart-line"),
            ]
            if staff_or_partner
            else []
        ),
        *(
            [NavItem(_("Targets"), page_url("sales:target-list"), "target")]
            if user.is_internal
            else []
        ),
        *(
            [NavItem(_("Expenses"), page_url("sales:expense-list"), "receipt")]
            if not user.is_customer
            else []
        ),
        *(
            [NavItem(_("Commissions"), page_url("sales:commission-statement"), "coin")]
            if user.is_internal
            else []
        ),
    ]
    catalog_pages = (
        [
            NavItem(_("Products"), page_url("catalog:product-list"), "package"),
            NavItem(_("Price lists"), page_url("catalog:price-list-list"), "tags"),
            NavItem(_("Configurator"), page_url("catalog:configurator"), "adjustments"),
        ]
        if staff_or_partner
        else []
    )
    order_pages = (
        [
            NavItem(_("Quotes"), page_url("orders:quote-list"), "file-dollar"),
            *(
                [NavItem(_("Approvals"), page_url("orders:quote-approval-list"), "rosette")]
                if user.is_admin or user.role == "sales_manager"
                else []
            ),
            NavItem(_("Orders"), page_url("orders:order-list"), "truck-delivery"),
            NavItem(_("Invoices"), page_url("orders:invoice-list"), "file-invoice"),
            NavItem(_("Payments received"), page_url("orders:payment-list"), "cash"),
            NavItem(_("Receivables"), page_url("orders:receivables"), "report-money"),
        ]
        if staff_or_partner
        else []
    )
    items = [
        NavItem(_("Home"), page_url("home"), "home"),
        NavItem(_("Accounts"), page_url("customers:account-list"), "building"),
        NavItem(_("Contacts"), page_url("customers:contact-list"), "users"),
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
        items.append(NavItem(_("Administration"), page_url("core:admin-home"), "settings"))
    return {"nav_items": [item for item in items if item is not None]}
