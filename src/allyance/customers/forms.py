"""Forms for accounts and contacts."""

from django import forms

from allyance.core.forms import VersionedModelForm
from allyance.customers.models import Account, Contact


class AccountForm(VersionedModelForm):
    class Meta:
        model = Account
        fields = [
            "kind",
            "name",
            "parent",
            "industry",
            "size_band",
            "status",
            "source",
            "owner",
            "territory",
            "phone",
            "phone_alt",
            "email",
            "email_alt",
            "website",
            "tax_id",
            "country",
            "province",
            "city",
            "street",
            "postcode",
            "tags",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ContactForm(VersionedModelForm):
    class Meta:
        model = Contact
        fields = [
            "family_name",
            "given_name",
            "account",
            "title",
            "department",
            "reports_to",
            "decision_role",
            "status",
            "owner",
            "phone",
            "mobile",
            "email",
            "email_alt",
            "other_accounts",
            "tags",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
