"""Administration pages for custom fields: list per record type, create, edit, delete.

Administrators only; everyone else gets 403. The pages call the same services as
the API (`core.custom_fields`), so the rules hold whichever way a field is defined.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.custom_fields import (
    FIELD_TYPE_HELP,
    custom_field_delete,
    custom_field_save,
)
from allyance.core.forms import StyledFormMixin
from allyance.core.models import CustomField
from allyance.core.record_types import custom_field_models, record_model_for, record_type_key
from allyance.core.views_admin import admin_required


class RecordTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, content_type: ContentType) -> str:
        return str(content_type.model_class()._meta.verbose_name_plural).capitalize()


class CustomFieldForm(StyledFormMixin, forms.ModelForm):
    """A custom field definition; choices are typed one per line."""

    content_type = RecordTypeChoiceField(
        queryset=ContentType.objects.none(), label=gettext_lazy("Record type")
    )
    choices_text = forms.CharField(
        label=gettext_lazy("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("For choice fields: one choice per line."),
    )

    class Meta:
        model = CustomField
        fields = ["content_type", "name", "label", "type", "choices_text", "required", "order"]
        help_texts = {"name": FIELD_TYPE_HELP}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        content_types = ContentType.objects.get_for_models(*custom_field_models()).values()
        self.fields["content_type"].queryset = ContentType.objects.filter(
            pk__in=[content_type.pk for content_type in content_types]
        )
        if self.instance.pk:
            self.fields["content_type"].disabled = True
            self.fields["name"].disabled = True
            self.fields["choices_text"].initial = "\n".join(self.instance.choices or [])

    def validate_constraints(self):
        """The service checks the key's uniqueness and reports it beside the key."""

    def save(self, commit: bool = False) -> CustomField:
        field = super().save(commit=False)
        field.choices = self.cleaned_data.get("choices_text", "").splitlines()
        return field


def _list_url(field: CustomField) -> str:
    url = reverse("core:custom-field-list")
    model = field.content_type.model_class() if field.content_type_id else None
    return f"{url}?record_type={record_type_key(model)}" if model is not None else url


def _form_page(request: HttpRequest, field: CustomField, title: str) -> HttpResponse:
    form = CustomFieldForm(request.POST or None, instance=field)
    if request.method == "POST" and form.is_valid():
        try:
            field = custom_field_save(field=form.save(), by=request.user)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                name = "choices_text" if name == "choices" else name
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Saved."))
            return redirect(_list_url(field))
    return render(
        request,
        "core/record_form.html",
        {"form": form, "title": title, "cancel_url": reverse("core:custom-field-list")},
    )


@admin_required
def custom_field_list(request: HttpRequest) -> HttpResponse:
    """Every record type with its custom fields, or one type with `?record_type=`."""
    selected = record_model_for(request.GET.get("record_type", ""))
    if selected not in custom_field_models():
        selected = None
    models = [selected] if selected is not None else custom_field_models()
    by_type: dict[int, list[CustomField]] = {}
    for field in CustomField.objects.order_by("order", "name"):
        by_type.setdefault(field.content_type_id, []).append(field)
    groups = [
        {
            "key": record_type_key(model),
            "label": str(model._meta.verbose_name_plural).capitalize(),
            "fields": by_type.get(ContentType.objects.get_for_model(model).pk, []),
        }
        for model in models
    ]
    return render(
        request,
        "core/custom_field_list.html",
        {
            "groups": groups,
            "record_types": [
                (record_type_key(m), m._meta.verbose_name_plural) for m in custom_field_models()
            ],
            "selected": record_type_key(selected) if selected is not None else "",
        },
    )


@admin_required
def custom_field_create(request: HttpRequest) -> HttpResponse:
    field = CustomField()
    model = record_model_for(request.GET.get("record_type", ""))
    if model is not None:
        field.content_type = ContentType.objects.get_for_model(model)
    return _form_page(request, field, _("New custom field"))


@admin_required
def custom_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=pk)
    return _form_page(request, field, _("Edit custom field %(label)s") % {"label": field.label})


@admin_required
def custom_field_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first; on POST remove the definition (stored values are kept)."""
    field = get_object_or_404(CustomField, pk=pk)
    if request.method == "POST":
        url = _list_url(field)
        custom_field_delete(field=field, by=request.user)
        messages.success(request, _("Deleted the custom field %(label)s.") % {"label": field.label})
        return redirect(url)
    return render(
        request,
        "core/custom_field_confirm_delete.html",
        {"field": field, "cancel_url": _list_url(field)},
    )
