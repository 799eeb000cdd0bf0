"""Record page URLs built from a once-reversed pattern match `reverse()` exactly."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from allyance.core.record_urls import record_url


@pytest.mark.parametrize("pk", [1, 7, 42, 1234567890])
@pytest.mark.parametrize(
    "name", ["customers:contact-detail", "sales:lead-detail", "orders:order-detail"]
)
def test_record_url_is_what_reverse_gives(name, pk):
    assert record_url(name, pk) == reverse(name, args=[pk])


def test_record_url_follows_the_script_prefix_of_a_deployment_under_a_path():
    try:
        set_script_prefix("/crm/")
        assert record_url("customers:account-detail", 5) == "/crm/accounts/5/"
    finally:
        set_script_prefix("/")
    assert record_url("customers:account-detail", 5) == "/accounts/5/"


def test_a_url_without_a_key_argument_is_refused():
    with pytest.raises(NoReverseMatch):
        record_url("home", 1)


def test_a_record_links_to_its_page(db):
    from tests.factories import ContactFactory

    contact = ContactFactory()
    assert contact.get_absolute_url() == f"/contacts/{contact.pk}/"


def test_page_url_is_what_reverse_gives_under_any_script_prefix():
    from allyance.core.record_urls import page_url

    assert page_url("customers:contact-list") == reverse("customers:contact-list")
    try:
        set_script_prefix("/crm/")
        assert page_url("customers:contact-list") == "/crm/contacts/"
    finally:
        set_script_prefix("/")
