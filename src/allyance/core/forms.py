"""Form helpers: Tabler styling, custom fields in forms, and the version check."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

# Django 6.1's empty choice label; its own Chinese catalogues lack it, ours carry it.
gettext_noop("- Select an option -")


def form_errors_from(form, exc: ValidationError) -> None:
    """Show a service's ValidationError beside the fields it names, the rest above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def scope_choice_fields(fields, user) -> None:
    """Narrow every choice field's queryset to what `user` may see (forms and list filters).

    Without this a select box would list, say, every account in the system by name.
    """
    from allyance.core import selectors
    from allyance.core.api import users_assignable_by
    from allyance.core.models import BusinessModel, Organisation, Team, Territory, User
    from allyance.core.visibility import visible_to

    scoped = {
        User: users_assignable_by,
        Territory: selectors.territories_visible_to,
        Team: selectors.teams_visible_to,
        Organisation: selectors.organisations_visible_to,
    }
    for field in fields:
        queryset = getattr(field, "queryset", None)
        if queryset is None:
            continue
        if issubclass(queryset.model, BusinessModel):
            field.queryset = visible_to(user, queryset)
        elif queryset.model in scoped:
            field.queryset = scoped[queryset.model](user) & queryset


class StyledFormMixin:
    """Give every widget the Tabler/Bootstrap class it needs and mark errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            if isinstance(widget, forms.SelectMultiple):
                css += " js-tom-select"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        # Errors are marked here, not in __init__: reading `errors` there would validate the
        # form before subclasses scope their choices or add fields (such as custom fields).
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class LoginForm(StyledFormMixin, AuthenticationForm):
    pass


class VersionedModelForm(StyledFormMixin, forms.ModelForm):
    """A model form that carries the record's version so concurrent edits are caught."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.scope_choices()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        from allyance.core.custom_fields import add_custom_form_fields

        add_custom_form_fields(self)

    def scope_choices(self) -> None:
        """Offer only related records the user may see, and users they may assign."""
        if self.user is not None:
            scope_choice_fields(self.fields.values(), self.user)

    def save_m2m_for(self, record) -> None:
        """Save many-to-many fields after the service has saved the record."""
        self.instance = record
        self._save_m2m()

    def clean(self):
        cleaned = super().clean()
        from allyance.core.custom_fields import clean_custom_form_fields

        clean_custom_form_fields(self)
        return cleaned
