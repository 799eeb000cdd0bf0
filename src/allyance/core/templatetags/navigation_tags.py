"""The menu bar: its entries rendered by one tag, not a template loop."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def nav_menu(items, path: str) -> SafeString:
    """The `<li>` entries of the menu bar, the page at `path` (and its menu) marked active.

    Every page draws some forty entries; as template nodes they took ~2 ms of each
    request, as one tag a tenth of that."""
    return format_html_join("", "{}", ((_entry(item, path),) for item in items))


def _entry(item, path: str) -> SafeString:
    if not item.children:
        return format_html(
            '<li class="nav-item{}"><a class="nav-link" href="{}">'
            '<i class="ti ti-{} me-1"></i>{}</a></li>',
            " active" if path == item.url else "",
            item.url,
            item.icon,
            item.label,
        )
    children = format_html_join(
        "",
        '<a class="dropdown-item{}" href="{}"><i class="ti ti-{} me-2"></i>{}</a>',
        (
            (" active" if path == child.url else "", child.url, child.icon, child.label)
            for child in item.children
        ),
    )
    return format_html(
        '<li class="nav-item dropdown{}"><a class="nav-link dropdown-toggle" href="#" '
        'data-bs-toggle="dropdown" data-bs-auto-close="true" role="button" '
        'aria-expanded="false"><i class="ti ti-{} me-1"></i>{}</a>'
        '<div class="dropdown-menu">{}</div></li>',
        " active" if path in item.urls else "",
        item.icon,
        item.label,
        children,
    )
