"""Template context shared by every page: the navigation the user's role allows."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        (_("Home"), reverse("home"), "home"),
        (_("Accounts"), reverse("customers:account-list"), "building"),
        (_("Contacts"), reverse("customers:contact-list"), "users"),
        (_("Activities"), reverse("activities:activity-list"), "calendar-event"),
        (_("Calendar"), reverse("activities:calendar"), "calendar"),
        (_("Tasks"), reverse("activities:task-list"), "checklist"),
        (_("Leads"), reverse("sales:lead-list"), "user-search"),
        (_("Opportunities"), reverse("sales:opportunity-list"), "layout-kanban"),
    ]
    if not user.is_customer:
        items.append((_("Expenses"), reverse("sales:expense-list"), "receipt"))
    if user.is_internal:
        items.append((_("Commissions"), reverse("sales:commission-statement"), "coin"))
    if user.is_internal:
        items.append((_("Lead queue"), reverse("sales:lead-queue-list"), "inbox"))
    if user.is_internal or user.is_partner:
        items.append((_("Forecast"), reverse("sales:forecast"), "chart-bar"))
    if user.is_admin:
        items.append((_("Administration"), reverse("core:admin-home"), "settings"))
    elif user.role == "partner_admin":
        items.append((_("My users"), reverse("core:my-users"), "users-group"))
    return {"nav_items": [{"label": label, "url": url, "icon": icon} for label, url, icon in items]}
