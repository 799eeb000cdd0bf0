"""Template context shared by every page: the navigation the user's role allows."""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
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
    if user.is_admin:
        items.append(NavItem(_("Administration"), reverse("core:admin-home"), "settings"))
    elif user.role == "partner_admin":
        items.append(NavItem(_("My users"), reverse("core:my-users"), "users-group"))
    return {"nav_items": [item for item in items if item is not None]}
