"""Custom fields: typed validation, required fields, forms, detail pages, list filters, the API
and the administration pages that define them."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from allyance.core.custom_fields import clean_custom_values, custom_field_display
from allyance.core.models import AuditEntry, CustomField, Role
from allyance.customers.models import Account, Contact
from tests.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

TIERS = ["Gold", "Silver", "Bronze"]


def define(model=Account, name="tier", type=CustomField.Type.TEXT, **extra) -> CustomField:
    return CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        name=name,
        label=extra.pop("label", name.replace("_", " ").capitalize()),
        type=type,
        **extra,
    )


@pytest.fixture
def all_types(db):
    """One optional field of every type on accounts."""
    return {
        "notes": define(name="notes", type=CustomField.Type.TEXT),
        "staff": define(name="staff", type=CustomField.Type.NUMBER),
        "rate": define(name="rate", type=CustomField.Type.DECIMAL),
        "renewal": define(name="renewal", type=CustomField.Type.DATE),
        "tier": define(name="tier", type=CustomField.Type.CHOICE, choices=TIERS),
        "regions": define(name="regions", type=CustomField.Type.MULTI_CHOICE, choices=TIERS),
        "vip": define(name="vip", type=CustomField.Type.BOOLEAN),
        "buddy": define(name="buddy", type=CustomField.Type.USER),
    }


# --- Validation of every type -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "given", "stored"),
    [
        ("notes", "  Prefers WeChat  ", "Prefers WeChat"),
        ("notes", "喜欢微信联系", "喜欢微信联系"),
        ("staff", 42, 42),
        ("staff", "42", 42),
        ("staff", -7, -7),
        ("rate", "3.50", "3.5"),
        ("rate", 2, "2"),
        ("rate", "1e2", "100"),
        ("rate", "0.0000000001", "0.0000000001"),
        ("rate", 1.25, "1.25"),
        ("renewal", "2024-02-29", "2024-02-29"),
        ("renewal", date(2025, 1, 31), "2025-01-31"),
        ("tier", "Gold", "Gold"),
        ("regions", ["Bronze", "Gold", "Gold"], ["Gold", "Bronze"]),
        ("regions", "Silver, Bronze", ["Silver", "Bronze"]),
        ("vip", True, True),
        ("vip", "yes", True),
        ("vip", "否", False),
        ("vip", False, False),
    ],
)
def test_good_values_are_stored_in_their_json_form(all_types, key, given, stored):
    assert clean_custom_values(Account, {key: given}) == {key: stored}


@pytest.mark.parametrize(
    ("key", "given"),
    [
        ("notes", {"a": 1}),
        ("notes", True),
        ("notes", "x" * 2001),
        ("staff", "4.5"),
        ("staff", "forty"),
        ("staff", True),
        ("staff", 2**60),
        ("rate", "abc"),
        ("rate", "NaN"),
        ("rate", "Infinity"),
        ("rate", "0.00000000001"),
        ("rate", "1" * 21),
        ("rate", [1]),
        ("renewal", "2023-02-29"),
        ("renewal", "31/01/2024"),
        ("renewal", 20240131),
        ("tier", "Platinum"),
        ("tier", ["Gold"]),
        ("regions", ["Gold", "Tin"]),
        ("regions", 5),
        ("vip", "maybe"),
        ("vip", 2),
        ("buddy", "somebody"),
        ("buddy", 10**30),
        ("buddy", 999_999),
    ],
)
def test_bad_values_are_refused_keyed_by_field(all_types, key, given):
    with pytest.raises(ValidationError) as caught:
        clean_custom_values(Account, {key: given})
    assert list(caught.value.message_dict) == [key]


def test_user_field_takes_active_users_only(all_types):
    active = UserFactory()
    gone = UserFactory(is_active=False)
    assert clean_custom_values(Account, {"buddy": active.pk}) == {"buddy": active.pk}
    assert clean_custom_values(Account, {"buddy": str(active.pk)}) == {"buddy": active.pk}
    with pytest.raises(ValidationError) as caught:
        clean_custom_values(Account, {"buddy": gone.pk})
    assert "buddy" in caught.value.message_dict


def test_unchanged_user_stays_after_that_user_is_deactivated(all_types):
    gone = UserFactory(is_active=False)
    kept = clean_custom_values(Account, {"buddy": gone.pk}, existing={"buddy": gone.pk})
    assert kept == {"buddy": gone.pk}


def test_unknown_keys_are_refused(all_types):
    with pytest.raises(ValidationError) as caught:
        clean_custom_values(Account, {"tier": "Gold", "shoe_size": 43})
    assert list(caught.value.message_dict) == ["shoe_size"]


def test_fields_of_another_record_type_are_unknown(all_types):
    with pytest.raises(ValidationError) as caught:
        clean_custom_values(Contact, {"tier": "Gold"})
    assert "tier" in caught.value.message_dict


def test_required_field_is_enforced_on_create_only_unless_cleared():
    define(name="region", required=True)
    define(name="notes")
    with pytest.raises(ValidationError) as caught:
        clean_custom_values(Account, {"notes": "new"})
    assert list(caught.value.message_dict) == ["region"]
    assert clean_custom_values(Account, {"region": "East"}) == {"region": "East"}
    # An update that does not touch the required field is fine …
    assert clean_custom_values(Account, {"notes": "x"}, existing={"region": "East"}) == {
        "region": "East",
        "notes": "x",
    }
    # … one that empties it is not.
    with pytest.raises(ValidationError) as caught:
        clean_custom_values(Account, {"region": ""}, existing={"region": "East"})
    assert list(caught.value.message_dict) == ["region"]


def test_required_boolean_accepts_no():
    define(name="signed", type=CustomField.Type.BOOLEAN, required=True)
    assert clean_custom_values(Account, {"signed": False}) == {"signed": False}


def test_update_merges_and_empty_value_removes(all_types):
    existing = {"tier": "Gold", "staff": 5}
    assert clean_custom_values(Account, {"staff": None, "vip": True}, existing=existing) == {
        "tier": "Gold",
        "vip": True,
    }


def test_values_must_be_an_object(all_types):
    with pytest.raises(ValidationError):
        clean_custom_values(Account, ["tier", "Gold"])


# --- Forms and pages ----------------------------------------------------------------------


def test_account_form_shows_custom_fields_and_saves_them(client, rep, all_types):
    client.force_login(rep)
    page = client.get("/accounts/new/").content.decode()
    for key in all_types:
        assert f'name="cf_{key}"' in page
    buddy = UserFactory()
    response = client.post(
        "/accounts/new/",
        {
            "kind": "company",
            "name": "华东机械",
            "status": "active",
            "cf_notes": "Met at the fair",
            "cf_staff": "120",
            "cf_rate": "12.50",
            "cf_renewal": "2025-06-30",
            "cf_tier": "Silver",
            "cf_regions": ["Bronze", "Gold"],
            "cf_vip": "true",
            "cf_buddy": str(buddy.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    account = Account.objects.get(name="华东机械")
    assert account.custom_fields == {
        "notes": "Met at the fair",
        "staff": 120,
        "rate": "12.5",
        "renewal": "2025-06-30",
        "tier": "Silver",
        "regions": ["Gold", "Bronze"],
        "vip": True,
        "buddy": buddy.pk,
    }


def test_form_error_shows_beside_the_custom_field_and_saves_nothing(client, rep, all_types):
    client.force_login(rep)
    response = client.post(
        "/accounts/new/",
        {"kind": "company", "name": "Bad input", "status": "active", "cf_staff": "many"},
    )
    assert response.status_code == 200
    assert 'data-field-error="cf_staff"' in response.content.decode()
    assert not Account.objects.filter(name="Bad input").exists()


def test_form_requires_required_custom_field_on_create(client, rep):
    define(name="region", required=True)
    client.force_login(rep)
    response = client.post(
        "/accounts/new/", {"kind": "company", "name": "No region", "status": "active"}
    )
    assert 'data-field-error="cf_region"' in response.content.decode()
    assert not Account.objects.filter(name="No region").exists()


def test_edit_form_starts_from_stored_values_and_keeps_other_keys(client, rep, all_types):
    account = AccountFactory(
        owner=rep,
        custom_fields={"tier": "Gold", "renewal": "2025-01-31", "vip": True, "retired": "x"},
    )
    client.force_login(rep)
    page = client.get(f"/accounts/{account.pk}/edit/").content.decode()
    assert '<option value="Gold" selected>' in page
    assert 'value="2025-01-31"' in page
    response = client.post(
        f"/accounts/{account.pk}/edit/",
        {
            "kind": "company",
            "name": account.name,
            "status": "active",
            "version": account.version,
            "cf_tier": "Bronze",
            "cf_renewal": "2025-01-31",
            "cf_vip": "false",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.custom_fields == {
        "tier": "Bronze",
        "renewal": "2025-01-31",
        "vip": False,
        "retired": "x",  # a value of a field no longer defined is kept, not lost
    }


def test_partner_user_picker_offers_colleagues_only(client, partner_a_user, partner_b_user):
    define(name="buddy", type=CustomField.Type.USER)
    client.force_login(partner_a_user)
    page = client.get("/accounts/new/").content.decode()
    assert f'value="{partner_a_user.pk}"' in page
    assert f'value="{partner_b_user.pk}"' not in page


def test_form_choices_are_scoped_when_the_form_is_validated(client, partner_a_user, partner_b):
    """A bound form validates after its choices are narrowed to what the user may see."""
    foreign = AccountFactory(organisation=partner_b)
    client.force_login(partner_a_user)
    response = client.post(
        "/contacts/new/", {"family_name": "Li", "status": "active", "account": foreign.pk}
    )
    assert response.status_code == 200
    assert 'data-field-error="account"' in response.content.decode()
    assert not Contact.objects.filter(family_name="Li").exists()


def test_contact_and_activity_forms_get_their_own_fields(client, rep):
    define(model=Contact, name="wechat_id", label="WeChat ID")
    from allyance.activities.models import Activity

    define(model=Activity, name="minutes", type=CustomField.Type.NUMBER)
    client.force_login(rep)
    assert 'name="cf_wechat_id"' in client.get("/contacts/new/").content.decode()
    activity_page = client.get("/activities/new/").content.decode()
    assert 'name="cf_minutes"' in activity_page
    assert 'name="cf_wechat_id"' not in activity_page


def test_detail_pages_show_labels_and_formatted_values(client, rep, all_types):
    buddy = UserFactory(first_name="小明", last_name="王")
    account = AccountFactory(
        owner=rep,
        custom_fields={
            "tier": "Gold",
            "regions": ["Gold", "Bronze"],
            "vip": True,
            "buddy": buddy.pk,
            "staff": 1200,
        },
    )
    contact_field = define(model=Contact, name="wechat_id", label="WeChat ID")
    contact = ContactFactory(owner=rep, custom_fields={"wechat_id": "wx-123"})
    client.force_login(rep)
    page = client.get(account.get_absolute_url()).content.decode()
    assert "Tier" in page and "Gold" in page
    assert "Gold, Bronze" in page
    assert "Yes" in page
    assert "王小明" in page
    contact_page = client.get(contact.get_absolute_url()).content.decode()
    assert contact_field.label in contact_page and "wx-123" in contact_page


def test_display_helper_formats_every_type(all_types):
    account = AccountFactory(
        custom_fields={"rate": "12.5", "renewal": "2025-06-30", "vip": False, "staff": 3}
    )
    shown = dict(custom_field_display(account))
    assert shown["Rate"] == "12.5"
    assert shown["Renewal"] == "June 30, 2025"
    assert shown["Vip"] == "No"
    assert shown["Staff"] == "3"
    assert shown["Tier"] == ""


# --- List filters -------------------------------------------------------------------------


def _listed(client, **params) -> set[str]:
    page = client.get("/accounts/", params).content.decode()
    table = page.split('id="record-table"', 1)[1]  # the filter panel names accounts too
    return {name for name in ("Alpha", "Beta", "Gamma") if name in table}


def test_list_filters_by_every_kind_of_custom_field(client, admin_user, all_types):
    AccountFactory(
        name="Alpha",
        custom_fields={
            "notes": "Met in Shanghai",
            "staff": 10,
            "rate": "1.5",
            "renewal": "2025-01-31",
            "tier": "Gold",
            "regions": ["Gold", "Silver"],
            "vip": True,
            "buddy": admin_user.pk,
        },
    )
    AccountFactory(
        name="Beta",
        custom_fields={
            "notes": "Met in Beijing",
            "staff": 20,
            "rate": "2",
            "tier": "Silver",
            "regions": ["Silver"],
            "vip": False,
        },
    )
    AccountFactory(name="Gamma")
    client.force_login(admin_user)
    assert _listed(client) == {"Alpha", "Beta", "Gamma"}
    assert _listed(client, cf_notes="shanghai") == {"Alpha"}
    assert _listed(client, cf_staff="20") == {"Beta"}
    assert _listed(client, cf_rate="1.50") == {"Alpha"}
    assert _listed(client, cf_renewal="2025-01-31") == {"Alpha"}
    assert _listed(client, cf_tier="Silver") == {"Beta"}
    assert _listed(client, cf_regions="Silver") == {"Alpha", "Beta"}
    assert _listed(client, cf_regions="Gold") == {"Alpha"}
    assert _listed(client, cf_regions="Bronze") == set()
    assert _listed(client, cf_vip="false") == {"Beta"}
    assert _listed(client, cf_vip="true") == {"Alpha"}
    assert _listed(client, cf_buddy=str(admin_user.pk)) == {"Alpha"}
    assert _listed(client, cf_tier="Gold", cf_vip="true") == {"Alpha"}


def test_list_shows_custom_filters_and_refuses_bad_filter_values(client, admin_user, all_types):
    AccountFactory(name="Alpha", custom_fields={"staff": 10})
    client.force_login(admin_user)
    page = client.get("/accounts/").content.decode()
    assert 'name="cf_tier"' in page and 'name="cf_regions"' in page
    bad = client.get("/accounts/", {"cf_staff": "ten"})
    assert bad.status_code == 200
    assert 'data-field-error="cf_staff"' in bad.content.decode()
    assert "Alpha" not in bad.content.decode().split('id="record-table"', 1)[1]


def test_list_filter_keeps_to_the_visibility_gate(client, partner_a_user, partner_b, all_types):
    AccountFactory(
        name="Alpha", organisation=partner_a_user.organisation, custom_fields={"tier": "Gold"}
    )
    AccountFactory(name="Beta", organisation=partner_b, custom_fields={"tier": "Gold"})
    client.force_login(partner_a_user)
    assert _listed(client, cf_tier="Gold") == {"Alpha"}


# --- API ----------------------------------------------------------------------------------


def test_api_saves_and_returns_custom_fields(api, rep, all_types):
    client = api(rep)
    response = client.post(
        "/api/v1/accounts/",
        {"name": "API Ltd", "custom_fields": {"tier": "Gold", "rate": "7.10", "vip": "yes"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["custom_fields"] == {"tier": "Gold", "rate": "7.1", "vip": True}
    account_id = response.json()["id"]
    patched = client.patch(
        f"/api/v1/accounts/{account_id}/", {"custom_fields": {"tier": None}}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["custom_fields"] == {"rate": "7.1", "vip": True}


@pytest.mark.parametrize(
    "custom_fields",
    [
        {"staff": "lots"},
        {"renewal": "tomorrow"},
        {"tier": "Platinum"},
        {"regions": {"Gold": True}},
        {"buddy": -1},
        {"unknown_key": 1},
        {"rate": "1e999999"},
    ],
)
def test_api_bad_custom_value_is_a_400_naming_the_key(api, rep, all_types, custom_fields):
    response = api(rep).post(
        "/api/v1/accounts/", {"name": "Bad", "custom_fields": custom_fields}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body["custom_fields"]) == list(custom_fields)
    assert not Account.objects.filter(name="Bad").exists()


@pytest.mark.parametrize("custom_fields", [["tier"], "tier=Gold", 5, None])
def test_api_custom_fields_that_are_not_an_object_are_a_400(api, rep, all_types, custom_fields):
    response = api(rep).post(
        "/api/v1/accounts/", {"name": "Bad", "custom_fields": custom_fields}, format="json"
    )
    assert response.status_code == 400
    assert "custom_fields" in response.json()


@pytest.mark.parametrize("payload", [{"custom_fields": {}}, {}])
def test_api_required_custom_field_on_create(api, rep, payload):
    define(name="region", required=True)
    client = api(rep)
    response = client.post("/api/v1/accounts/", {"name": "No region", **payload}, format="json")
    assert response.status_code == 400
    assert "region" in response.json()["custom_fields"]
    created = client.post(
        "/api/v1/accounts/",
        {"name": "East", "custom_fields": {"region": "East"}},
        format="json",
    )
    assert created.status_code == 201
    # Later updates need not repeat it, and a full update keeps it.
    account_id = created.json()["id"]
    assert client.patch(f"/api/v1/accounts/{account_id}/", {"city": "Nanjing"}).status_code == 200
    assert client.put(f"/api/v1/accounts/{account_id}/", {"name": "East"}).status_code == 200
    assert Account.objects.get(pk=account_id).custom_fields == {"region": "East"}


# --- Defining custom fields: administration pages and API ---------------------------------


def test_admin_defines_edits_and_deletes_a_choice_field(client, admin_user):
    client.force_login(admin_user)
    account_type = ContentType.objects.get_for_model(Account)
    assert client.get("/manage/custom-fields/").status_code == 200
    response = client.post(
        "/manage/custom-fields/new/",
        {
            "content_type": account_type.pk,
            "name": "tier",
            "label": "客户等级",
            "type": "choice",
            "choices_text": "Gold\nSilver\n\nGold\nBronze",
            "order": 1,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    field = CustomField.objects.get(name="tier")
    assert field.choices == ["Gold", "Silver", "Bronze"]
    assert AuditEntry.objects.filter(
        object_id=str(field.pk), action="create", actor=admin_user
    ).exists()
    listing = client.get("/manage/custom-fields/", {"record_type": "account"}).content.decode()
    assert "客户等级" in listing and "<code>tier</code>" in listing

    response = client.post(
        f"/manage/custom-fields/{field.pk}/edit/",
        {
            "content_type": account_type.pk,
            "name": "renamed",
            "label": "Tier",
            "type": "choice",
            "choices_text": "Gold\nSilver",
            "order": 2,
        },
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.name, field.label, field.choices) == ("tier", "Tier", ["Gold", "Silver"])

    assert "Delete" in client.get(f"/manage/custom-fields/{field.pk}/delete/").content.decode()
    assert client.post(f"/manage/custom-fields/{field.pk}/delete/").status_code == 302
    assert not CustomField.objects.filter(pk=field.pk).exists()


@pytest.mark.parametrize(
    ("data", "error_field"),
    [
        ({"name": "tier", "type": "choice", "choices_text": ""}, "choices_text"),
        ({"name": "Tier Level", "type": "text"}, "name"),
        ({"name": "contains", "type": "text"}, "name"),
        ({"name": "a__b", "type": "text"}, "name"),
        ({"name": "existing", "type": "text"}, "name"),
    ],
)
def test_admin_form_shows_definition_errors_beside_the_field(client, admin_user, data, error_field):
    define(name="existing")
    client.force_login(admin_user)
    response = client.post(
        "/manage/custom-fields/new/",
        {
            "content_type": ContentType.objects.get_for_model(Account).pk,
            "label": "Label",
            "order": 0,
            **data,
        },
    )
    assert response.status_code == 200
    assert f'data-field-error="{error_field}"' in response.content.decode()
    assert CustomField.objects.count() == 1


def test_same_key_may_exist_on_different_record_types(client, admin_user):
    define(name="source_detail")
    client.force_login(admin_user)
    response = client.post(
        "/manage/custom-fields/new/",
        {
            "content_type": ContentType.objects.get_for_model(Contact).pk,
            "name": "source_detail",
            "label": "Source detail",
            "type": "text",
            "order": 0,
        },
    )
    assert response.status_code == 302
    assert CustomField.objects.filter(name="source_detail").count() == 2


@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.PARTNER_ADMIN, Role.CUSTOMER])
def test_only_admins_reach_the_custom_field_pages(client, role):
    field = define()
    client.force_login(UserFactory(role=role))
    for url in (
        "/manage/custom-fields/",
        "/manage/custom-fields/new/",
        f"/manage/custom-fields/{field.pk}/edit/",
        f"/manage/custom-fields/{field.pk}/delete/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/manage/custom-fields/{field.pk}/delete/").status_code == 403
    assert CustomField.objects.filter(pk=field.pk).exists()


def test_api_staff_read_definitions_admins_write(api, rep, admin_user, partner_a_user):
    define(name="tier", type=CustomField.Type.CHOICE, choices=TIERS)
    define(model=Contact, name="wechat_id")
    listed = api(rep).get("/api/v1/custom-fields/", {"record_type": "account"})
    assert listed.status_code == 200
    assert [f["name"] for f in listed.json()] == ["tier"]
    assert listed.json()[0]["record_type"] == "account"
    assert listed.json()[0]["choices"] == TIERS
    assert api(partner_a_user).get("/api/v1/custom-fields/").status_code == 403

    new = {"record_type": "contact", "name": "hobby", "label": "Hobby", "type": "text"}
    assert api(rep).post("/api/v1/custom-fields/", new, format="json").status_code == 403
    created = api(admin_user).post("/api/v1/custom-fields/", new, format="json")
    assert created.status_code == 201, created.json()
    field_id = created.json()["id"]
    renamed = api(admin_user).patch(
        f"/api/v1/custom-fields/{field_id}/", {"name": "other"}, format="json"
    )
    assert renamed.status_code == 400 and "name" in renamed.json()
    assert api(rep).delete(f"/api/v1/custom-fields/{field_id}/").status_code == 403
    assert api(admin_user).delete(f"/api/v1/custom-fields/{field_id}/").status_code == 204


@pytest.mark.parametrize(
    ("data", "error_field"),
    [
        ({"record_type": "planet", "name": "x", "label": "X", "type": "text"}, "record_type"),
        ({"record_type": "account", "name": "x", "label": "X", "type": "colour"}, "type"),
        ({"record_type": "account", "name": "x", "label": "X", "type": "choice"}, "choices"),
        ({"record_type": "account", "name": "in", "label": "X", "type": "text"}, "name"),
        ({"record_type": "account", "name": "tier", "label": "X", "type": "text"}, "name"),
    ],
)
def test_api_bad_definition_is_a_400_naming_the_field(api, admin_user, data, error_field):
    define(name="tier")
    response = api(admin_user).post("/api/v1/custom-fields/", data, format="json")
    assert response.status_code == 400
    assert error_field in response.json()


def test_decimal_values_stay_exact(all_types):
    stored = clean_custom_values(Account, {"rate": Decimal("0.1") + Decimal("0.2")})
    assert stored == {"rate": "0.3"}


def test_api_lists_filter_by_custom_field_and_refuse_bad_values(api, rep):
    from django.contrib.contenttypes.models import ContentType

    from allyance.core.models import CustomField
    from allyance.customers.models import Account

    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Account),
        name="employees",
        label="Employees",
        type=CustomField.Type.NUMBER,
    )
    AccountFactory(owner=rep, name="Big", custom_fields={"employees": 500})
    AccountFactory(owner=rep, name="Small", custom_fields={"employees": 5})
    client = api(rep)
    names = [
        row["name"]
        for row in client.get("/api/v1/accounts/", {"cf_employees": 500}).json()["results"]
    ]
    assert names == ["Big"]
    bad = client.get("/api/v1/accounts/", {"cf_employees": "many"})
    assert bad.status_code == 400
    assert "cf_employees" in bad.json()
