"""`{% calendar_feed_card %}`: the private calendar feed URL and its buttons (profile page)."""

from django import template
from django.urls import reverse

from allyance.activities.models import CalendarFeedToken

register = template.Library()


@register.inclusion_tag("activities/calendar_feed_card.html", takes_context=True)
def calendar_feed_card(context) -> dict:
    request = context["request"]
    feed_token = CalendarFeedToken.objects.filter(user=request.user).first()
    url = (
        request.build_absolute_uri(reverse("activities:calendar-feed", args=[feed_token.token]))
        if feed_token
        else ""
    )
    return {"feed_token": feed_token, "feed_url": url, "csrf_token": context.get("csrf_token")}
