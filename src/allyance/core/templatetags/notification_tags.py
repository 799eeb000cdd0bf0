"""`{% unread_notification_count %}`: the navbar bell's number, one query per request."""

from django import template

from allyance.core.notifications import unread_count_of

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_unread_notification_count"):
        request._unread_notification_count = unread_count_of(user)
    return request._unread_notification_count
