"""Template tags of the price-list part: a product's prices as the user may see them."""

from django import template

from allyance.catalog.selectors.pricing import product_prices_for

register = template.Library()


@register.simple_tag(takes_context=True, name="product_prices_for")
def product_prices_for_user(context, product):
    request = context.get("request")
    if request is None or product is None:
        return []
    return product_prices_for(request.user, product)
