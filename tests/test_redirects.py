"""A posted form goes back only to a page of this site."""

import pytest
from django.test import RequestFactory

from allyance.core.redirects import posted_next_or


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("/leads/7/", "/leads/7/"),
        ("", "/default/"),
        ("https://evil.example/", "/default/"),
        ("//evil.example/path", "/default/"),
        ("/\\evil.example", "/default/"),
        ("javascript:alert(1)", "/default/"),
    ],
)
def test_next_is_a_path_on_this_site_or_the_default(posted, expected):
    request = RequestFactory().post("/x/", {"next": posted})
    assert posted_next_or(request, "/default/") == expected
