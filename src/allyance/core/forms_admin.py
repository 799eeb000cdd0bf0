"""Forms of the administration pages and of the user's own preferences.

The forms only collect and shape input; the rules (who may give which role,
no cycles in the territory tree, staff-only teams) live in `services_admin`.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin
from allyance.core.models import (
    PARTNER_ROLES,
    STAFF_ROLES,
    Organisation,
    Role,
    Team,
    Territory,
    User,
)
from allyance.core.services_admin import USER_FIELDS, time_zone_names


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", _("Site default"))] + [(name, name) for name in sorted(time_zone_names())]


def language_choices() -> list[tuple[str, str]]:
    return [("", _("Site default"))] + list(settings.LANGUAGES)


def staff_users(*, keep: QuerySet | None = None) -> QuerySet[User]:
    """Active company staff, plus the users already chosen (so an edit never loses them)."""
    condition = Q(is_active=True) & (Q(role__in=STAFF_ROLES) | Q(is_superuser=True))
    if keep is not None:
        condition |= Q(pk__in=keep.values("pk"))
    return User.objects.filter(condition).order_by("username")


def territory_paths() -> dict[int, str]:
    """Every territory's full path ("China › East China › Shanghai"), in one query."""
    rows = {
        pk: (name, parent)
        for pk, name, parent in Territory.objects.values_list("pk", "name", "parent_id")
    }
    paths: dict[int, str] = {}
    for pk in rows:
        names, node, seen = [], pk, set()
        while node is not None and node not in seen:
            seen.add(node)
            name, parent = rows[node]
            names.append(name)
            node = parent
        paths[pk] = " › ".join(reversed(names))
    return paths


class TerritoryChoiceField(forms.ModelChoiceField):
    paths: dict[int, str] | None = None

    def label_from_instance(self, obj: Territory) -> str:
        if self.paths is None:
            self.paths = territory_paths()
        return self.paths.get(obj.pk, str(obj))


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class UserForm(StyledFormMixin, forms.ModelForm):
    """Create or edit a user. A partner admin gets no organisation field and partner roles only."""

    password = forms.CharField(
        label=_("Set password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    language = forms.ChoiceField(label=_("Language"), required=False, choices=language_choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=time_zone_choices)

    class Meta:
        model = User
        fields = list(USER_FIELDS)
        widgets = {"customer_account": forms.NumberInput(attrs={"min": 1})}

    def __init__(self, *args, manager: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.manager = manager
        creating = self.instance.pk is None
        if creating:
            self.fields["password"].required = True
            self.fields["password"].help_text = _(
                "At least 8 characters, not a common password and not like the user name."
            )
        else:
            self.fields["password"].help_text = _("Leave empty to keep the current password.")
        if manager.is_admin:
            self.fields["organisation"].queryset = Organisation.objects.order_by("kind", "name")
            if creating and not self.is_bound:
                self.initial.setdefault("organisation", Organisation.company().pk)
            account = self.fields["customer_account"]
            account.label = _("Customer account number")
            account.help_text = _(
                "For customer portal users only: the number in the account's address, "
                "e.g. 42 for /accounts/42/."
            )
            account.error_messages["invalid_choice"] = _("No account has this number.")
            if self.instance.customer_account_id:
                account.help_text = f"{self.instance.customer_account} · {account.help_text}"
        else:
            del self.fields["organisation"]
            del self.fields["customer_account"]
            self.fields["role"].choices = [
                (value, label) for value, label in Role.choices if value in PARTNER_ROLES
            ]

    def service_data(self) -> dict:
        """The cleaned values `services_admin.user_save` takes."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.fields}
        if self.cleaned_data.get("password"):
            data["password"] = self.cleaned_data["password"]
        return data


class UserFilterForm(StyledFormMixin, forms.Form):
    """Narrow the user list by organisation, role and whether the user is active."""

    q = forms.CharField(label=_("Search"), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), required=False, queryset=Organisation.objects.order_by("name")
    )
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", "---------")])
    active = forms.ChoiceField(
        label=_("Active"),
        required=False,
        choices=[("", _("All")), ("yes", _("Active")), ("no", _("Deactivated"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "---------"), *Role.choices]

    def filter(self, users: QuerySet[User]) -> QuerySet[User]:
        if not self.is_valid():
            return users.none()
        data = self.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            users = users.filter(
                Q(username__icontains=q)
                | Q(first_name__icontains=q)
                | Q(last_name__icontains=q)
                | Q(email__icontains=q)
            )
        if data["organisation"]:
            users = users.filter(organisation=data["organisation"])
        if data["role"]:
            users = users.filter(role=data["role"])
        if data["active"]:
            users = users.filter(is_active=data["active"] == "yes")
        return users


class TeamForm(StyledFormMixin, forms.ModelForm):
    """A team: name, manager and members, chosen among active staff."""

    class Meta:
        model = Team
        fields = ["name", "manager", "members"]
        field_classes = {"manager": UserChoiceField, "members": UserMultipleChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.instance.members.all() if self.instance.pk else None
        self.fields["members"].queryset = staff_users(keep=chosen)
        manager = User.objects.filter(pk=self.instance.manager_id)
        self.fields["manager"].queryset = staff_users(keep=manager)


class TerritoryForm(StyledFormMixin, forms.ModelForm):
    """A territory: its place in the tree (parent), its members and a description."""

    class Meta:
        model = Territory
        fields = ["name", "parent", "members", "description"]
        field_classes = {"parent": TerritoryChoiceField, "members": UserMultipleChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Territory.objects.order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].help_text = _(
            "Redraw the map by moving the territory under another one; "
            "its members then see every account below it at once."
        )
        chosen = self.instance.members.all() if self.instance.pk else None
        self.fields["members"].queryset = staff_users(keep=chosen)


class OrganisationForm(StyledFormMixin, forms.ModelForm):
    """A partner organisation, with its parent for two-tier channels and its channel manager."""

    class Meta:
        model = Organisation
        fields = [
            "name",
            "partner_type",
            "tier",
            "status",
            "parent",
            "shares_with_parent",
            "channel_manager",
        ]
        field_classes = {"channel_manager": UserChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Organisation.objects.filter(kind=Organisation.Kind.PARTNER).order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].help_text = _(
            "In a two-tier channel: the distributor this partner buys through."
        )
        self.fields["tier"].help_text = _("The programme tier: it sets prices, discount and MDF.")
        manager = User.objects.filter(pk=self.instance.channel_manager_id)
        self.fields["channel_manager"].queryset = staff_users(keep=manager)


class PreferencesForm(StyledFormMixin, forms.Form):
    """The user's own interface language and time zone."""

    language = forms.ChoiceField(label=_("Language"), required=False, choices=language_choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=time_zone_choices)
