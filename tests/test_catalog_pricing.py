"""Price lists: which list an account buys at, one default per currency, prices and volume
breaks, import and export, the pages and the API, and the configurator page and endpoint."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allyance.catalog.models import (
    ConfigurationRule,
    OptionValue,
    PriceList,
    PriceListItem,
    ProductOption,
    VolumeBreak,
)
from allyance.catalog.selectors.pricing import price_list_for, price_lists_visible_to
from allyance.catalog.services.pricing import (
    price_list_import_apply,
    price_list_import_preview,
    price_list_item_save,
    price_list_save,
)
from allyance.core.models import AuditEntry, Role
from tests.factories import (
    AccountFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)


def new_list(by, **fields) -> PriceList:
    values = {"name": "Standard", "currency": "CNY", **fields}
    return price_list_save(price_list=PriceList(**values), by=by)


# --- which list an account buys at ---------------------------------------------------------


def test_price_list_for_prefers_the_accounts_own_valid_list(settings):
    settings.DEFAULT_CURRENCY = "CNY"
    account = AccountFactory()
    default = PriceListFactory(is_default=True, currency="CNY")
    own = PriceListFactory(currency="CNY", valid_from=datetime.date(2026, 1, 1))
    own.accounts.add(account)
    expired = PriceListFactory(currency="CNY", valid_until=datetime.date(2026, 6, 30))
    expired.accounts.add(account)
    assert price_list_for(account, on=TODAY) == own
    assert price_list_for(account, on=datetime.date(2025, 12, 31)) == expired
    assert price_list_for(AccountFactory(), on=TODAY) == default


def test_price_list_for_respects_the_currency_and_falls_back_to_its_default():
    account = AccountFactory()
    own_usd = PriceListFactory(currency="USD")
    own_usd.accounts.add(account)
    default_cny = PriceListFactory(currency="CNY", is_default=True)
    inactive_default_usd = PriceListFactory(currency="USD", is_default=True, active=False)
    assert price_list_for(account, currency="USD", on=TODAY) == own_usd
    assert price_list_for(account, currency="CNY", on=TODAY) == default_cny
    inactive_default_usd.refresh_from_db()
    assert price_list_for(AccountFactory(), currency="USD", on=TODAY) is None


def test_price_list_for_uses_the_default_currency_setting(settings):
    settings.DEFAULT_CURRENCY = "USD"
    usd = PriceListFactory(currency="USD", is_default=True)
    PriceListFactory(currency="CNY", is_default=True)
    assert price_list_for(None, on=TODAY) == usd


def test_the_account_list_that_started_last_wins():
    account = AccountFactory()
    older = PriceListFactory(name="A", valid_from=datetime.date(2025, 1, 1))
    newer = PriceListFactory(name="B", valid_from=datetime.date(2026, 1, 1))
    open_ended = PriceListFactory(name="C")
    for price_list in (older, newer, open_ended):
        price_list.accounts.add(account)
    assert price_list_for(account, on=TODAY) == newer


# --- saving lists ----------------------------------------------------------------------------


def test_making_a_list_default_clears_the_previous_default_of_its_currency(admin_user):
    first = new_list(admin_user, name="First", is_default=True)
    usd = new_list(admin_user, name="Dollars", currency="USD", is_default=True)
    second = new_list(admin_user, name="Second", is_default=True)
    first.refresh_from_db()
    usd.refresh_from_db()
    assert second.is_default and not first.is_default
    assert usd.is_default, "another currency's default stays"
    assert PriceList.objects.filter(currency="CNY", is_default=True).count() == 1
    assert AuditEntry.objects.filter(object_id=str(first.pk), action="update").exists()


def test_a_failed_save_keeps_the_previous_default(admin_user):
    first = new_list(admin_user, name="First", is_default=True)
    second = new_list(admin_user, name="Second")
    second.is_default = True
    second.discount_percent = Decimal("150")  # refused by the field's validator
    with pytest.raises(ValidationError):
        price_list_save(price_list=second, by=admin_user)
    first.refresh_from_db()
    assert first.is_default


def test_validity_dates_are_checked(admin_user):
    with pytest.raises(ValidationError) as excinfo:
        new_list(
            admin_user, valid_from=datetime.date(2026, 12, 1), valid_until=datetime.date(2026, 1, 1)
        )
    assert "valid_until" in excinfo.value.message_dict


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.SALES_MANAGER, Role.PARTNER_ADMIN])
def test_only_administrators_change_price_lists(role):
    user = UserFactory(role=role)
    with pytest.raises(PermissionDenied):
        new_list(user)


def test_stale_version_is_refused(admin_user):
    from allyance.core.exceptions import ConflictError

    price_list = new_list(admin_user)
    stale = PriceList.objects.get(pk=price_list.pk)
    price_list.name = "Renamed"
    price_list_save(price_list=price_list, by=admin_user)
    stale.name = "Other"
    with pytest.raises(ConflictError):
        price_list_save(price_list=stale, by=admin_user, expected_version=1)


def test_item_save_replaces_the_volume_breaks(admin_user):
    item = PriceListItemFactory(price="100")
    item.price = Decimal("95")
    price_list_item_save(item=item, by=admin_user, breaks=[("10", "90"), ("50", "80")])
    assert list(item.breaks.values_list("min_quantity", "price")) == [
        (Decimal("10.000"), Decimal("90.0000")),
        (Decimal("50.000"), Decimal("80.0000")),
    ]
    price_list_item_save(item=item, by=admin_user, breaks=[("50", "75")])
    assert list(item.breaks.values_list("min_quantity", "price")) == [
        (Decimal("50.000"), Decimal("75.0000"))
    ]
    with pytest.raises(ValidationError) as excinfo:
        price_list_item_save(item=item, by=admin_user, breaks=[("5", "1"), ("5", "2")])
    assert "breaks" in excinfo.value.message_dict


def test_a_product_has_one_price_per_list(admin_user):
    item = PriceListItemFactory()
    twin = PriceListItem(price_list=item.price_list, product=item.product, price=Decimal("1"))
    with pytest.raises(ValidationError) as excinfo:
        price_list_item_save(item=twin, by=admin_user)
    assert "product" in excinfo.value.message_dict


# --- import and export -----------------------------------------------------------------------


@pytest.fixture
def catalog():
    return {
        "a": ProductFactory(sku="AR-100", name="阵列 A"),
        "b": ProductFactory(sku="AR-200", name="阵列 B"),
        "c": ProductFactory(sku="SW-1", name="交换机"),
    }


def test_import_gb18030_file_with_chinese_headers(admin_user, catalog):
    price_list = PriceListFactory()
    PriceListItemFactory(price_list=price_list, product=catalog["a"], price="10")
    text = "编码,产品名称,单价,起订量,阶梯价\nAR-100,阵列 A,1200.50,10,1100\nAR-100,,1200.50,50,1000\nAR-200,阵列 B,899,,\n"
    data = text.encode("gb18030")

    preview = price_list_import_preview(price_list=price_list, data=data, file_name="价目.csv")
    assert preview.errors == []
    assert (preview.created, preview.updated) == (1, 1)
    assert preview.encoding == "gb18030"
    assert not PriceListItem.objects.filter(product=catalog["b"]).exists(), (
        "a preview writes nothing"
    )

    price_list_import_apply(price_list=price_list, data=data, file_name="价目.csv", by=admin_user)
    a = PriceListItem.objects.get(price_list=price_list, product=catalog["a"])
    assert a.price == Decimal("1200.5000")
    assert list(a.breaks.values_list("min_quantity", "price")) == [
        (Decimal("10.000"), Decimal("1100.0000")),
        (Decimal("50.000"), Decimal("1000.0000")),
    ]
    assert PriceListItem.objects.get(price_list=price_list, product=catalog["b"]).price == 899


def test_import_traditional_headers_in_big5(admin_user, catalog):
    price_list = PriceListFactory()
    data = "料號,單價\nSW-1,35\n".encode("big5")
    preview = price_list_import_preview(price_list=price_list, data=data, file_name="p.csv")
    assert preview.ok and preview.rows[0].product == catalog["c"]


def test_import_names_every_bad_row_by_line_and_applies_nothing(admin_user, catalog):
    price_list = PriceListFactory()
    PriceListItemFactory(price_list=price_list, product=catalog["a"], price="10")
    data = (
        b"SKU,Price\n"
        b"AR-100,20\n"  # line 2: fine
        b"NOPE-1,5\n"  # line 3: unknown SKU
        b"AR-200,abc\n"  # line 4: not a price
        b"SW-1,-3\n"  # line 5: negative
    )
    preview = price_list_import_preview(price_list=price_list, data=data, file_name="p.csv")
    errors = dict(preview.errors)
    assert sorted(errors) == [3, 4, 5]
    assert "Unknown SKU “NOPE-1”" in errors[3][0]
    assert "“abc” is not a price" in errors[4][0]
    assert "cannot be negative" in errors[5][0]
    with pytest.raises(ValidationError) as excinfo:
        price_list_import_apply(price_list=price_list, data=data, file_name="p.csv", by=admin_user)
    assert any(message.startswith("Line 3:") for message in excinfo.value.messages)
    assert PriceListItem.objects.get(price_list=price_list, product=catalog["a"]).price == 10
    assert PriceListItem.objects.filter(price_list=price_list).count() == 1


def test_import_reads_xlsx(admin_user, catalog):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["SKU", "Price"])
    sheet.append(["AR-200", 42.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    price_list = PriceListFactory()
    price_list_import_apply(
        price_list=price_list, data=buffer.getvalue(), file_name="p.xlsx", by=admin_user
    )
    assert PriceListItem.objects.get(price_list=price_list).price == Decimal("42.5")


def test_export_csv_and_xlsx_and_the_export_imports_again(client, admin_user, catalog):
    price_list = PriceListFactory()
    item = PriceListItemFactory(price_list=price_list, product=catalog["a"], price="1200.5")
    VolumeBreak.objects.create(item=item, min_quantity=10, price="1100")
    PriceListItemFactory(price_list=price_list, product=catalog["c"], price="35")
    client.force_login(admin_user)
    url = reverse("catalog:price-list-export", args=[price_list.pk])

    response = client.get(url, {"format": "csv"})
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["SKU", "Product", "Price", "From quantity", "Volume price"]
    assert ["AR-100", "阵列 A", "1200.5000", "10", "1100.0000"] in rows
    assert ["SW-1", "交换机", "35.0000", "", ""] in rows

    response = client.get(url, {"format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert values[0][0] == "SKU" and ["SW-1", "交换机", "35.0000", None, None] in values

    other = PriceListFactory()
    preview = price_list_import_preview(price_list=other, data=body, file_name="export.csv")
    assert preview.ok and len(preview.rows) == 2


def test_import_page_previews_then_applies(client, admin_user, catalog):
    price_list = PriceListFactory()
    client.force_login(admin_user)
    url = reverse("catalog:price-list-import", args=[price_list.pk])
    upload = SimpleUploadedFile("p.csv", "编码,单价\nAR-100,7\n".encode("gb18030"))
    response = client.post(url, {"step": "preview", "file": upload, "encoding": ""})
    assert response.status_code == 200
    token = response.context["token"]
    assert token and not PriceListItem.objects.filter(price_list=price_list).exists()
    response = client.post(url, {"step": "apply", "token": token})
    assert response.status_code == 302
    assert PriceListItem.objects.get(price_list=price_list).price == 7

    bad = SimpleUploadedFile("p.csv", b"SKU,Price\nAR-100,x\n")
    response = client.post(url, {"step": "preview", "file": bad})
    assert response.context["token"] is None
    assert "Line 2" in response.content.decode()


def test_import_page_is_for_administrators(client, rep):
    client.force_login(rep)
    price_list = PriceListFactory()
    assert client.get(reverse("catalog:price-list-import", args=[price_list.pk])).status_code == 403


# --- pages -----------------------------------------------------------------------------------


def test_list_and_detail_pages_for_staff(client, rep, catalog):
    price_list = PriceListFactory(name="Channel 2027")
    item = PriceListItemFactory(price_list=price_list, product=catalog["a"], price="12.5")
    VolumeBreak.objects.create(item=item, min_quantity=10, price="11")
    PriceListItemFactory(price_list=price_list, product=catalog["c"], price="3")
    client.force_login(rep)
    page = client.get(reverse("catalog:price-list-list")).content.decode()
    assert "Channel 2027" in page
    assert reverse("catalog:price-list-create") not in page
    detail = client.get(price_list.get_absolute_url()).content.decode()
    assert "AR-100" in detail and "SW-1" in detail and "from 10: 11" in detail
    assert reverse("catalog:price-list-edit", args=[price_list.pk]) not in detail
    searched = client.get(price_list.get_absolute_url(), {"q": "交换"}).content.decode()
    assert "SW-1" in searched and "AR-100" not in searched
    assert client.get(reverse("catalog:price-list-create")).status_code == 403
    assert client.get(reverse("catalog:price-list-edit", args=[price_list.pk])).status_code == 403


def test_detail_page_paginates_prices(client, rep):
    price_list = PriceListFactory()
    for number in range(55):
        PriceListItemFactory(price_list=price_list, product=ProductFactory(name=f"P{number:03d}"))
    client.force_login(rep)
    first = client.get(price_list.get_absolute_url())
    assert len(first.context["page"]) == 50 and first.context["page"].has_next()
    second = client.get(price_list.get_absolute_url(), {"page": 2})
    assert len(second.context["page"]) == 5


def test_admin_creates_a_list_and_sees_date_errors_beside_the_field(client, admin_user):
    client.force_login(admin_user)
    url = reverse("catalog:price-list-create")
    response = client.post(
        url,
        {
            "name": "Broken",
            "currency": "CNY",
            "valid_from": "2026-12-01",
            "valid_until": "2026-01-01",
            "discount_percent": "0",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="valid_until"' in response.content.decode()
    response = client.post(
        url,
        {"name": "Good", "currency": "CNY", "discount_percent": "5", "active": "on"},
    )
    assert response.status_code == 302
    assert PriceList.objects.get(name="Good").discount_percent == 5


def test_admin_adds_a_price_with_volume_breaks(client, admin_user, catalog):
    price_list = PriceListFactory()
    client.force_login(admin_user)
    url = reverse("catalog:price-list-item-add", args=[price_list.pk])
    response = client.post(
        url, {"product": catalog["a"].pk, "price": "100", "breaks": "10 = 90\n50 = 80"}
    )
    assert response.status_code == 302
    item = PriceListItem.objects.get(price_list=price_list)
    assert [b.price for b in item.breaks.all()] == [Decimal("90"), Decimal("80")]
    response = client.post(url, {"product": catalog["a"].pk, "price": "1", "breaks": ""})
    assert 'data-field-error="product"' in response.content.decode()
    response = client.post(url, {"product": catalog["b"].pk, "price": "1", "breaks": "ten"})
    assert 'data-field-error="breaks"' in response.content.decode()
    edit = reverse("catalog:price-list-item-edit", args=[price_list.pk, item.pk])
    assert "10 = 90.0000" in client.get(edit).content.decode()
    client.post(reverse("catalog:price-list-item-delete", args=[price_list.pk, item.pk]))
    assert not PriceListItem.objects.filter(pk=item.pk).exists()


def test_partner_sees_only_lists_assigned_to_its_organisation(client, partner_a_user, partner_b):
    mine = PriceListFactory(name="Alpha list")
    mine.partners.add(partner_a_user.organisation)
    theirs = PriceListFactory(name="Beta list")
    theirs.partners.add(partner_b)
    hidden = PriceListFactory(name="Inactive Alpha list", active=False)
    hidden.partners.add(partner_a_user.organisation)
    assert list(price_lists_visible_to(partner_a_user)) == [mine]
    client.force_login(partner_a_user)
    page = client.get(reverse("catalog:price-list-list")).content.decode()
    assert "Alpha list" in page and "Beta list" not in page
    assert client.get(theirs.get_absolute_url()).status_code == 404
    detail = client.get(mine.get_absolute_url()).content.decode()
    assert 'data-testid="assignments"' not in detail


def test_product_page_include_lists_the_visible_prices(rep, partner_a_user, rf):
    from django.template.loader import render_to_string

    product = ProductFactory()
    shared = PriceListFactory(name="Shared list")
    shared.partners.add(partner_a_user.organisation)
    PriceListItemFactory(price_list=shared, product=product, price="9.5")
    PriceListItemFactory(price_list=PriceListFactory(name="Internal list"), product=product)

    def rendered(user) -> str:
        request = rf.get("/")
        request.user = user
        return render_to_string(
            "catalog/includes/product_prices.html", {"product": product}, request=request
        )

    assert "Shared list" in rendered(rep) and "Internal list" in rendered(rep)
    partner_view = rendered(partner_a_user)
    assert "Shared list" in partner_view and "Internal list" not in partner_view


# --- API -------------------------------------------------------------------------------------


def test_api_admin_creates_default_list_and_price_with_breaks(api, admin_user, catalog):
    client = api(admin_user)
    old = PriceListFactory(is_default=True, currency="CNY")
    response = client.post(
        "/api/v1/price-lists/",
        {"name": "API list", "currency": "CNY", "is_default": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    old.refresh_from_db()
    assert not old.is_default
    list_id = response.json()["id"]
    response = client.post(
        "/api/v1/price-list-items/",
        {
            "price_list": list_id,
            "product": catalog["a"].pk,
            "price": "10.5",
            "breaks": [{"min_quantity": "5", "price": "9"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["breaks"] == [{"min_quantity": "5.000", "price": "9.0000"}]
    listed = client.get("/api/v1/price-list-items/", {"price_list": list_id}).json()
    assert [row["product"] for row in listed["results"]] == [catalog["a"].pk]
    again = client.post(
        "/api/v1/price-list-items/",
        {"price_list": list_id, "product": catalog["a"].pk, "price": "1"},
        format="json",
    )
    assert again.status_code == 400 and "product" in again.json()
    bad_dates = client.post(
        "/api/v1/price-lists/",
        {"name": "X", "currency": "CNY", "valid_from": "2026-12-01", "valid_until": "2026-01-01"},
        format="json",
    )
    assert bad_dates.status_code == 400 and "valid_until" in bad_dates.json()


def test_api_staff_read_but_do_not_write(api, rep):
    price_list = PriceListFactory()
    client = api(rep)
    assert client.get(f"/api/v1/price-lists/{price_list.pk}/").status_code == 200
    assert (
        client.patch(
            f"/api/v1/price-lists/{price_list.pk}/", {"name": "x"}, format="json"
        ).status_code
        == 403
    )
    assert client.post("/api/v1/price-lists/", {"name": "x"}, format="json").status_code == 403


def test_api_partner_does_not_learn_who_else_buys_at_a_list(api, partner_a_user, partner_b):
    price_list = PriceListFactory()
    price_list.partners.add(partner_a_user.organisation, partner_b)
    price_list.accounts.add(AccountFactory())
    body = api(partner_a_user).get(f"/api/v1/price-lists/{price_list.pk}/").json()
    assert body["partners"] == [] and body["accounts"] == []


# --- the configurator page and endpoint -----------------------------------------------------


@pytest.fixture
def configurable():
    product = ProductFactory(name="Array X200", sku="X200")
    price_list = PriceListFactory(name="Standard", discount_percent="5")
    PriceListItemFactory(price_list=price_list, product=product, price="1000")
    capacity = ProductOption.objects.create(
        product=product, name="Capacity", code="capacity", required=True, order=1
    )
    colour = ProductOption.objects.create(product=product, name="Colour", code="colour", order=2)
    two = OptionValue.objects.create(option=capacity, name="2 TB", code="2tb", is_default=True)
    four = OptionValue.objects.create(
        option=capacity, name="4 TB", code="4tb", price_effect="200", order=1
    )
    red = OptionValue.objects.create(option=colour, name="Red", code="red")
    ConfigurationRule.objects.create(kind="excludes", if_value=four, then_value=red)
    return product, price_list, {"2tb": two, "4tb": four, "red": red}


def test_api_configurator_prices_and_refuses(api, rep, configurable):
    product, price_list, values = configurable
    client = api(rep)
    response = client.post(
        "/api/v1/configurator/",
        {
            "product": product.pk,
            "price_list": price_list.pk,
            "quantity": "2",
            "option_values": [values["4tb"].pk],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit_price"] == "1140.0000"  # (1000 + 200) × 0.95
    assert body["line_total"] == "2280.00"
    assert body["tax_amount"] == "296.40"
    assert body["adjustments"] == [
        {"label": "Capacity: 4 TB", "amount": "200.0000"},
        {"label": "List discount 5 %", "amount": "-60.0000"},
    ]
    assert body["description"] == "Array X200 — Capacity: 4 TB"
    refused = client.post(
        "/api/v1/configurator/",
        {
            "product": product.pk,
            "price_list": price_list.pk,
            "option_values": [values["4tb"].pk, values["red"].pk],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["options"] == ["“Capacity: 4 TB” cannot be combined with “Colour: Red”."]
    assert client.get("/api/v1/configurator/").status_code == 405


def test_api_configurator_refuses_a_list_not_shared_with_the_partner(
    api, partner_a_user, partner_b, configurable
):
    product, price_list, _values = configurable
    price_list.partners.add(partner_b)
    client = api(partner_a_user)
    body = {"product": product.pk, "price_list": price_list.pk}
    response = client.post("/api/v1/configurator/", body, format="json")
    unknown = client.post("/api/v1/configurator/", {**body, "price_list": 999999999}, format="json")
    assert response.status_code == unknown.status_code == 400
    assert response.json() == {"price_list": unknown.json()["price_list"]} or (
        "price_list" in response.json()
    )
    price_list.partners.add(partner_a_user.organisation)
    assert client.post("/api/v1/configurator/", body, format="json").status_code == 200


def test_configurator_page_shows_the_explained_price_or_the_rule(client, rep, configurable):
    product, price_list, values = configurable
    client.force_login(rep)
    url = reverse("catalog:configurator")
    page = client.get(url, {"product": product.pk, "price_list": price_list.pk}).content.decode()
    assert 'data-testid="configurator-price"' in page
    assert "Array X200 — Capacity: 2 TB" in page and "List discount 5 %" in page
    assert 'name="option_' in page
    option_field = f"option_{values['2tb'].option_id}"
    colour_field = f"option_{values['red'].option_id}"
    page = client.get(
        url,
        {
            "product": product.pk,
            "price_list": price_list.pk,
            "options_for": product.pk,
            option_field: values["4tb"].pk,
            colour_field: values["red"].pk,
            "quantity": "1",
        },
    ).content.decode()
    assert 'data-testid="configurator-error"' in page
    assert "“Capacity: 4 TB” cannot be combined with “Colour: Red”." in page


def test_configurator_page_offers_partners_only_their_lists(client, partner_a_user, configurable):
    product, price_list, _values = configurable
    client.force_login(partner_a_user)
    response = client.get(
        reverse("catalog:configurator"), {"product": product.pk, "price_list": price_list.pk}
    )
    assert response.status_code == 200
    assert response.context["line"] is None
    assert "Standard" not in response.content.decode()


def test_admin_pages_render_with_the_actions(client, admin_user, partner_a):
    price_list = PriceListFactory(name="Admin view")
    price_list.partners.add(partner_a)
    PriceListItemFactory(price_list=price_list)
    client.force_login(admin_user)
    detail = client.get(price_list.get_absolute_url()).content.decode()
    assert reverse("catalog:price-list-edit", args=[price_list.pk]) in detail
    assert reverse("catalog:price-list-import", args=[price_list.pk]) in detail
    assert "Partner A" in detail
    assert client.get(reverse("catalog:price-list-edit", args=[price_list.pk])).status_code == 200
    assert (
        client.get(reverse("catalog:price-list-item-add", args=[price_list.pk])).status_code == 200
    )
    assert client.get(reverse("catalog:configurator")).status_code == 200
    response = client.post(reverse("catalog:price-list-delete", args=[price_list.pk]))
    assert response.status_code == 302 and not PriceList.objects.filter(pk=price_list.pk).exists()


def test_assigning_partners_takes_partner_organisations_only(admin_user, partner_a, rep):
    from allyance.catalog.services.pricing import price_list_assign
    from allyance.core.models import Organisation

    price_list = PriceListFactory()
    account = AccountFactory()
    price_list_assign(
        price_list=price_list, by=admin_user, partners=[partner_a], accounts=[account]
    )
    assert list(price_list.partners.all()) == [partner_a]
    assert list(price_list.accounts.all()) == [account]
    with pytest.raises(ValidationError):
        price_list_assign(price_list=price_list, by=admin_user, partners=[Organisation.company()])
    with pytest.raises(PermissionDenied):
        price_list_assign(price_list=price_list, by=rep, partners=[])
