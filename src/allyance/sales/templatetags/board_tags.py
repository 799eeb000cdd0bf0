"""The pipeline board's cards, drawn in Python: a board shows up to 300 of them, and the
template engine's cost per node was most of the board's time."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.html import format_html_join

from allyance.core.record_urls import record_url

register = template.Library()

CARD = (
    '<article class="card card-sm board-card" data-id="{}" data-version="{}" '
    'data-move-url="{}" data-testid="board-card" style="cursor: grab;">'
    '<div class="card-body p-2">'
    '<a class="fw-bold d-block text-truncate" href="{}">{}</a>'
    '<div class="small text-truncate">{}</div>'
    '<div class="d-flex small text-secondary"><span>{} {}</span>'
    '<span class="ms-auto">{}</span></div>'
    '<div class="small text-secondary text-truncate">'
    '<i class="ti ti-user me-1" aria-hidden="true"></i>{}</div>'
    "</div></article>"
)


@register.simple_tag
def board_cards(deals) -> str:
    """The cards of one board column: name, account, amount, close date and owner."""
    return format_html_join(
        "\n",
        CARD,
        (
            (
                deal.pk,
                deal.version,
                record_url("sales:opportunity-move", deal.pk),
                record_url("sales:opportunity-detail", deal.pk),
                deal.name,
                deal.account or "—",
                floatformat(deal.amount, "0g"),
                deal.currency,
                date_format(deal.close_date, "SHORT_DATE_FORMAT") if deal.close_date else "",
                deal.owner or "—",
            )
            for deal in deals
        ),
    )
