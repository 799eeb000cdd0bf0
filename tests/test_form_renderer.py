"""Built-in widgets are drawn with Django's Jinja2 templates (core/form_renderer.py): the
HTML must be the same as the Django template language draws it, on every kind of widget
the forms use, and on real pages."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html

from allyance.core.form_renderer import WidgetRenderer
from tests.factories import ContactFactory, LeadFactory


class EveryWidget(forms.Form):
    name = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"autofocus": True}))
    note = forms.CharField(widget=forms.Textarea, initial='<b>"quoted" & tagged</b>')
    email = forms.EmailField(required=False)
    amount = forms.DecimalField(initial="1234.50")
    count = forms.IntegerField(widget=forms.NumberInput(attrs={"step": 5, "disabled": False}))
    due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.SplitDateTimeField()
    hidden = forms.CharField(widget=forms.HiddenInput, initial="h")
    agree = forms.BooleanField(initial=True)
    status = forms.ChoiceField(
        choices=[("", "—"), ("new", "新建"), ("won", "Won <big>")], initial="won"
    )
    grouped = forms.ChoiceField(
        choices=[("Asia", [("cn", "中国"), ("tw", "臺灣")]), ("Europe", [("de", "Deutschland")])]
    )
    tags = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], initial=["a", "b"])
    boxes = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple, initial=["y"]
    )
    radio = forms.ChoiceField(choices=[("1", "One"), ("2", "Two")], widget=forms.RadioSelect)
    file = forms.FileField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput)


def test_every_widget_draws_the_same_html_as_the_template_language():
    bound = EveryWidget(data={"name": "x" * 30, "status": "won", "tags": ["b"]})
    for form in (EveryWidget(), bound):
        for field in form:
            drawn = {}
            for renderer in (WidgetRenderer(), DjangoTemplates()):
                form.renderer = renderer
                drawn[type(renderer)] = str(field)
            assert parse_html(drawn[WidgetRenderer]) == parse_html(drawn[DjangoTemplates]), (
                field.name
            )


def _without_tokens(html: str) -> str:
    """The page without its CSRF tokens, which are masked afresh on every page."""
    return re.sub(r"[A-Za-z0-9]{64}", "token", html)


@pytest.mark.parametrize("path", ["/leads/", "/contacts/", "/leads/new/", "/accounts/new/"])
def test_pages_with_forms_are_the_same_html(path, client, rep, settings):
    LeadFactory(owner=rep)
    ContactFactory(owner=rep)
    client.force_login(rep)
    pages = {}
    for renderer in (
        "allyance.core.form_renderer.WidgetRenderer",
        "django.forms.renderers.DjangoTemplates",
    ):
        settings.FORM_RENDERER = renderer
        response = client.get(path)
        assert response.status_code == 200
        pages[renderer] = _without_tokens(response.content.decode())
    first, second = pages.values()
    assert "<select" in first
    assert parse_html(first) == parse_html(second)
