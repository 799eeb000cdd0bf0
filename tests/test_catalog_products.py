"""The catalog: products, families, tax classes, bundles, options and configuration rules.

Administrators maintain it; staff read it all; partners read the active products and
change nothing.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from allyance.catalog.models import (
    BundleComponent,
    ConfigurationRule,
    OptionValue,
    Product,
    ProductFamily,
    ProductOption,
    TaxClass,
)
from allyance.catalog.selectors.products import products_visible_to, rules_visible_to
from allyance.catalog.services.families import (
    family_delete,
    family_save,
    tax_class_delete,
    tax_class_save,
)
from allyance.catalog.services.products import (
    bundle_component_save,
    option_save,
    product_delete,
    product_save,
)
from allyance.catalog.services.rules import rule_save, rule_sentence
from allyance.core.models import AuditEntry, Role
from allyance.core.search import global_search
from tests.factories import (
    PriceListItemFactory,
    ProductFactory,
    ProductFamilyFactory,
    QuoteLineFactory,
    TaxClassFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def image_bytes(image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format=image_format)
    return buffer.getvalue()


def bundle(**fields) -> Product:
    return ProductFactory(kind=Product.Kind.BUNDLE, **fields)


def option_with_values(product: Product, code: str, *values: str) -> ProductOption:
    option = ProductOption.objects.create(product=product, name=code.title(), code=code)
    for position, value in enumerate(values):
        OptionValue.objects.create(
            option=option, name=value, code=value.lower().replace(" ", ""), order=position
        )
    return option


# --- Products -----------------------------------------------------------------------------


def test_admin_creates_a_product_owned_by_the_company_and_audited(admin_user):
    product = product_save(
        product=Product(sku="NAS-100", name="Disk array", tax_class=TaxClassFactory()),
        by=admin_user,
    )
    assert product.organisation.kind == "company"
    assert product.owner == admin_user
    assert AuditEntry.objects.filter(object_id=str(product.pk), action="create").exists()


def test_only_administrators_change_the_catalog(rep, partner_a_user):
    for user in (rep, partner_a_user):
        with pytest.raises(PermissionDenied):
            product_save(product=Product(sku=f"X-{user.pk}", name="X"), by=user)


def test_sku_is_unique_whatever_the_case(admin_user):
    ProductFactory(sku="NAS-100")
    with pytest.raises(ValidationError) as caught:
        product_save(product=Product(sku="nas-100", name="Copy"), by=admin_user)
    assert "sku" in caught.value.message_dict


@pytest.mark.parametrize(
    "use",
    [
        lambda product: PriceListItemFactory(product=product),
        lambda product: BundleComponent.objects.create(bundle=bundle(), component=product),
        lambda product: QuoteLineFactory(product=product),
    ],
    ids=["price-list", "bundle", "quote-line"],
)
def test_deleting_a_used_product_is_refused_with_advice_to_deactivate(admin_user, use):
    product = ProductFactory()
    use(product)
    with pytest.raises(ValidationError) as caught:
        product_delete(product=product, by=admin_user)
    assert "Deactivate" in " ".join(caught.value.messages)
    assert Product.objects.filter(pk=product.pk).exists()


def test_an_unused_product_is_deleted(admin_user):
    product = ProductFactory()
    product_delete(product=product, by=admin_user)
    assert not Product.objects.filter(pk=product.pk).exists()


def test_partners_see_only_active_products_staff_see_all(rep, partner_a_user):
    active, inactive = ProductFactory(), ProductFactory(active=False)
    assert set(products_visible_to(partner_a_user)) == {active}
    assert set(products_visible_to(rep)) == {active, inactive}


# --- Bundles --------------------------------------------------------------------------


def test_a_bundle_cannot_contain_itself_directly_or_indirectly(admin_user):
    outer, inner = bundle(), bundle()
    bundle_component_save(component=BundleComponent(bundle=outer, component=inner), by=admin_user)
    with pytest.raises(ValidationError) as caught:
        bundle_component_save(
            component=BundleComponent(bundle=inner, component=outer), by=admin_user
        )
    assert "itself" in " ".join(caught.value.messages)
    with pytest.raises(ValidationError):
        bundle_component_save(
            component=BundleComponent(bundle=outer, component=outer), by=admin_user
        )


def test_only_bundles_have_components(admin_user):
    plain = ProductFactory()
    with pytest.raises(ValidationError) as caught:
        bundle_component_save(
            component=BundleComponent(bundle=plain, component=ProductFactory()), by=admin_user
        )
    assert "component" in caught.value.message_dict


def test_a_bundle_with_components_keeps_its_kind(admin_user):
    box = bundle()
    bundle_component_save(
        component=BundleComponent(bundle=box, component=ProductFactory(), quantity=Decimal("2")),
        by=admin_user,
    )
    box.kind = Product.Kind.PRODUCT
    with pytest.raises(ValidationError) as caught:
        product_save(product=box, by=admin_user)
    assert "kind" in caught.value.message_dict


def test_the_same_component_twice_is_refused(admin_user):
    box, disk = bundle(), ProductFactory()
    bundle_component_save(component=BundleComponent(bundle=box, component=disk), by=admin_user)
    with pytest.raises(ValidationError):
        bundle_component_save(component=BundleComponent(bundle=box, component=disk), by=admin_user)


# --- Options --------------------------------------------------------------------------


def test_option_codes_are_unique_per_product(admin_user):
    product = ProductFactory()
    option_save(option=ProductOption(product=product, name="Capacity", code="cap"), by=admin_user)
    with pytest.raises(ValidationError) as caught:
        option_save(option=ProductOption(product=product, name="Other", code="cap"), by=admin_user)
    assert "code" in caught.value.message_dict
    # Another product may use the same code.
    option_save(
        option=ProductOption(product=ProductFactory(), name="Cap", code="cap"), by=admin_user
    )


def test_option_is_saved_with_its_values_and_value_codes_are_unique(admin_user):
    product = ProductFactory()
    option = option_save(
        option=ProductOption(product=product, name="Capacity", code="capacity"),
        values=[
            {"name": "2 TB", "code": "2tb", "is_default": True},
            {"name": "4 TB", "code": "4tb", "price_effect": Decimal("300")},
        ],
        by=admin_user,
    )
    assert [v.code for v in option.values.all()] == ["2tb", "4tb"]
    kept = option.values.get(code="4tb")
    option_save(
        option=option,
        values=[{"id": kept.pk, "name": "4 TB", "code": "4tb", "price_effect": Decimal("350")}],
        by=admin_user,
    )
    assert list(option.values.values_list("pk", "price_effect")) == [(kept.pk, Decimal("350"))]
    with pytest.raises(ValidationError) as caught:
        option_save(
            option=option,
            values=[{"name": "A", "code": "x"}, {"name": "B", "code": "x"}],
            by=admin_user,
        )
    assert "values" in caught.value.message_dict


# --- Families and tax classes ---------------------------------------------------------


def test_a_family_cannot_become_its_own_descendant(admin_user):
    storage = family_save(family=ProductFamily(name="Storage"), by=admin_user)
    arrays = family_save(family=ProductFamily(name="Arrays", parent=storage), by=admin_user)
    storage.parent = arrays
    with pytest.raises(ValidationError) as caught:
        family_save(family=storage, by=admin_user)
    assert "parent" in caught.value.message_dict
    storage.parent = storage
    with pytest.raises(ValidationError):
        family_save(family=storage, by=admin_user)


def test_same_family_name_twice_at_the_top_is_refused(admin_user):
    family_save(family=ProductFamily(name="Storage"), by=admin_user)
    with pytest.raises(ValidationError):
        family_save(family=ProductFamily(name="storage"), by=admin_user)


def test_only_empty_families_are_deleted(admin_user):
    parent = ProductFamilyFactory()
    child = ProductFamilyFactory(parent=parent)
    with pytest.raises(ValidationError):
        family_delete(family=parent, by=admin_user)
    ProductFactory(family=child)
    with pytest.raises(ValidationError):
        family_delete(family=child, by=admin_user)
    empty = ProductFamilyFactory()
    family_delete(family=empty, by=admin_user)
    assert not ProductFamily.objects.filter(pk=empty.pk).exists()


def test_a_tax_class_in_use_is_not_deleted(admin_user):
    used = ProductFactory().tax_class
    with pytest.raises(ValidationError):
        tax_class_delete(tax_class=used, by=admin_user)
    spare = tax_class_save(tax_class=TaxClass(name="Exempt", rate=Decimal("0")), by=admin_user)
    tax_class_delete(tax_class=spare, by=admin_user)
    assert not TaxClass.objects.filter(pk=spare.pk).exists()


# --- Configuration rules --------------------------------------------------------------


@pytest.fixture
def nas():
    product = ProductFactory(name="NAS")
    capacity = option_with_values(product, "capacity", "2 TB", "4 TB")
    colour = option_with_values(product, "colour", "Red", "Black")
    return product, capacity, colour


def test_a_rule_reads_as_a_sentence(admin_user, nas):
    product, capacity, colour = nas
    rule = rule_save(
        rule=ConfigurationRule(
            product=product,
            kind=ConfigurationRule.Kind.EXCLUDES,
            if_value=capacity.values.get(code="4tb"),
            then_value=colour.values.get(code="red"),
        ),
        by=admin_user,
    )
    assert rule_sentence(rule) == "Capacity: 4 TB excludes Colour: Red"


@pytest.mark.parametrize(
    "sides",
    ["no-subject", "two-subjects", "no-object", "same-both-sides", "value-of-other-product"],
)
def test_invalid_rules_are_refused(admin_user, nas, sides):
    product, capacity, colour = nas
    red, four = colour.values.get(code="red"), capacity.values.get(code="4tb")
    other_value = option_with_values(ProductFactory(), "size", "XL").values.get()
    rule = ConfigurationRule(product=product, kind=ConfigurationRule.Kind.REQUIRES)
    if sides == "no-subject":
        rule.then_value = red
    elif sides == "two-subjects":
        rule.if_value, rule.if_product, rule.then_value = four, product, red
    elif sides == "no-object":
        rule.if_value = four
    elif sides == "same-both-sides":
        rule.if_value = rule.then_value = red
    else:
        rule.if_value, rule.then_value = four, other_value
    with pytest.raises(ValidationError):
        rule_save(rule=rule, by=admin_user)
    assert not ConfigurationRule.objects.exists()


def test_partners_read_active_rules_of_active_products_only(admin_user, partner_a_user, nas):
    product, capacity, colour = nas
    kwargs = {"kind": "requires", "if_value": capacity.values.first()}
    visible = ConfigurationRule.objects.create(then_value=colour.values.first(), **kwargs)
    ConfigurationRule.objects.create(then_value=colour.values.last(), active=False, **kwargs)
    retired = ProductFactory(active=False)
    ConfigurationRule.objects.create(then_product=retired, **kwargs)
    assert list(rules_visible_to(partner_a_user)) == [visible]
    assert rules_visible_to(admin_user).count() == 3


# --- Pages ----------------------------------------------------------------------------


def test_admin_creates_and_edits_a_product_with_an_image(client, admin_user):
    family = ProductFamilyFactory(name="Storage")
    client.force_login(admin_user)
    response = client.post(
        reverse("catalog:product-create"),
        {
            "sku": "NAS-1",
            "name": "Disk array",
            "kind": "product",
            "family": family.pk,
            "unit": "pcs",
            "active": "on",
            "image": SimpleUploadedFile("nas.png", image_bytes(), content_type="image/png"),
        },
    )
    product = Product.objects.get(sku="NAS-1")
    assert response.status_code == 302 and response.url == product.get_absolute_url()
    assert product.image
    page = client.get(product.get_absolute_url()).content.decode()
    assert "Storage" in page and reverse("catalog:product-image", args=[product.pk]) in page
    image = client.get(reverse("catalog:product-image", args=[product.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    response = client.post(
        reverse("catalog:product-edit", args=[product.pk]),
        {"sku": "NAS-1", "name": "Disk array II", "kind": "product", "version": product.version},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Disk array II" and not product.active


def test_a_text_file_named_png_is_refused_as_image(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("catalog:product-create"),
        {
            "sku": "FAKE-1",
            "name": "Fake",
            "kind": "product",
            "image": SimpleUploadedFile("photo.png", b"just some text", content_type="image/png"),
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="image"' in response.content.decode()
    assert not Product.objects.filter(sku="FAKE-1").exists()


def test_an_image_over_5_mb_is_refused(admin_user, settings):
    from allyance.catalog.services import products as services

    upload = SimpleUploadedFile("big.png", image_bytes())
    upload.size = services.IMAGE_MAX_BYTES + 1
    with pytest.raises(ValidationError) as caught:
        services.product_image_validate(upload)
    assert "too large" in " ".join(caught.value.messages)


def test_staff_read_products_but_only_admins_see_edit_buttons(client, rep):
    product = ProductFactory(active=False, name="Old array")
    client.force_login(rep)
    page = client.get(reverse("catalog:product-list")).content.decode()
    assert "Old array" in page and "Inactive" in page and 'data-testid="create"' not in page
    detail = client.get(product.get_absolute_url()).content.decode()
    assert 'data-testid="product-edit"' not in detail
    assert client.get(reverse("catalog:product-edit", args=[product.pk])).status_code == 403
    assert client.get(reverse("catalog:product-create")).status_code == 403


def test_partner_sees_only_active_products_and_reaches_no_edit_page(client, partner_a_user):
    active = ProductFactory(name="Current array")
    retired = ProductFactory(name="Retired array", active=False)
    client.force_login(partner_a_user)
    page = client.get(reverse("catalog:product-list")).content.decode()
    assert "Current array" in page and "Retired array" not in page
    assert client.get(retired.get_absolute_url()).status_code == 404
    assert client.get(active.get_absolute_url()).status_code == 200
    for name in ("catalog:product-edit", "catalog:product-delete"):
        assert client.get(reverse(name, args=[active.pk])).status_code in (403, 404, 405)
    assert client.post(reverse("catalog:product-delete", args=[active.pk])).status_code == 403
    assert client.get(reverse("catalog:family-create")).status_code == 403
    assert client.get(reverse("catalog:rule-create")).status_code == 403


def test_product_list_filters_by_family_subtree_and_kind(client, rep):
    storage = ProductFamilyFactory(name="Storage")
    arrays = ProductFamilyFactory(name="Arrays", parent=storage)
    ProductFactory(name="Deep array", family=arrays)
    ProductFactory(name="Network switch", family=ProductFamilyFactory(name="Network"))
    bundle(name="Starter kit", family=storage)
    client.force_login(rep)
    page = client.get(reverse("catalog:product-list"), {"family": storage.pk}).content.decode()
    assert "Deep array" in page and "Starter kit" in page and "Network switch" not in page
    page = client.get(
        reverse("catalog:product-list"), {"family": storage.pk, "kind": "bundle"}
    ).content.decode()
    assert "Starter kit" in page and "Deep array" not in page


def test_deleting_a_used_product_on_the_page_shows_why(client, admin_user):
    product = ProductFactory()
    PriceListItemFactory(product=product)
    client.force_login(admin_user)
    response = client.post(reverse("catalog:product-delete", args=[product.pk]), follow=True)
    assert "Deactivate it instead" in response.content.decode()
    assert Product.objects.filter(pk=product.pk).exists()
    client.post(reverse("catalog:product-activate", args=[product.pk]), {"active": "0"})
    product.refresh_from_db()
    assert not product.active


def test_admin_manages_options_with_values_on_the_product_page(client, admin_user):
    product = ProductFactory()
    client.force_login(admin_user)
    data = {
        "name": "Capacity",
        "code": "capacity",
        "order": "0",
        "values-TOTAL_FORMS": "2",
        "values-INITIAL_FORMS": "0",
        "values-MIN_NUM_FORMS": "0",
        "values-MAX_NUM_FORMS": "1000",
        "values-0-name": "2 TB",
        "values-0-code": "2tb",
        "values-0-price_effect_kind": "amount",
        "values-0-price_effect": "0",
        "values-0-order": "0",
        "values-1-name": "4 TB",
        "values-1-code": "4tb",
        "values-1-price_effect_kind": "amount",
        "values-1-price_effect": "300",
        "values-1-order": "1",
    }
    response = client.post(reverse("catalog:product-option-add", args=[product.pk]), data)
    assert response.status_code == 302
    option = product.options.get()
    assert list(option.values.values_list("code", flat=True)) == ["2tb", "4tb"]
    again = client.post(reverse("catalog:product-option-add", args=[product.pk]), data)
    assert again.status_code == 200
    assert "already has an option with this code" in again.content.decode()
    page = client.get(product.get_absolute_url()).content.decode()
    assert "4 TB" in page and "300" in page


def test_family_tree_and_rule_pages(client, admin_user, nas):
    product, capacity, colour = nas
    storage = ProductFamilyFactory(name="Storage")
    ProductFamilyFactory(name="Arrays", parent=storage)
    ConfigurationRule.objects.create(
        kind="excludes", if_value=capacity.values.last(), then_value=colour.values.first()
    )
    client.force_login(admin_user)
    tree = client.get(reverse("catalog:family-list")).content.decode()
    assert tree.index("Storage") < tree.index("Arrays")
    rules = client.get(reverse("catalog:rule-list")).content.decode()
    assert "Capacity: 4 TB excludes Colour: Red" in rules
    detail = client.get(product.get_absolute_url()).content.decode()
    assert "Capacity: 4 TB excludes Colour: Red" in detail
    response = client.post(
        reverse("catalog:rule-create"),
        {"kind": "requires", "if_value": capacity.values.first().pk, "active": "on"},
    )
    assert response.status_code == 200 and "as the object" in response.content.decode()


def test_tax_class_pages(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("catalog:tax-class-create"), {"name": "VAT 6%", "rate": "6"})
    assert response.status_code == 302
    tax_class = TaxClass.objects.get(name="VAT 6%")
    ProductFactory(tax_class=tax_class)
    response = client.post(reverse("catalog:tax-class-delete", args=[tax_class.pk]), follow=True)
    assert "give them another one first" in response.content.decode()
    assert "VAT 6%" in client.get(reverse("catalog:tax-class-list")).content.decode()


def test_export_products_from_the_list(client, rep):
    ProductFactory(sku="EXP-1", name="Exported", family=ProductFamilyFactory(name="Storage"))
    client.force_login(rep)
    response = client.get(reverse("core:export", kwargs={"target": "products"}), {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "EXP-1" in body and "Storage" in body and "VAT 13%" in body


# --- API ------------------------------------------------------------------------------


def test_partner_reads_active_products_and_cannot_write(api, partner_a_user):
    active = ProductFactory()
    ProductFactory(active=False)
    client = api(partner_a_user)
    listed = client.get("/api/v1/products/").json()["results"]
    assert [row["id"] for row in listed] == [active.pk]
    assert client.post("/api/v1/products/", {"sku": "P-1", "name": "x"}).status_code == 403
    assert client.patch(f"/api/v1/products/{active.pk}/", {"name": "x"}).status_code == 403
    assert client.delete(f"/api/v1/products/{active.pk}/").status_code == 403


def test_api_product_detail_has_options_components_and_tax_rate(api, admin_user):
    box = bundle()
    BundleComponent.objects.create(bundle=box, component=ProductFactory(), quantity=2)
    option_with_values(box, "colour", "Red")
    body = api(admin_user).get(f"/api/v1/products/{box.pk}/").json()
    assert body["tax_rate"] == "13.00"
    assert body["options"][0]["values"][0]["code"] == "red"
    assert body["components"][0]["quantity"] == "2.000"


def test_api_admin_creates_product_and_errors_are_400(api, admin_user):
    client = api(admin_user)
    created = client.post(
        "/api/v1/products/", {"sku": "API-1", "name": "From API", "tags": ["nas"]}, format="json"
    )
    assert created.status_code == 201, created.content
    clash = client.post("/api/v1/products/", {"sku": "api-1", "name": "Again"}, format="json")
    assert clash.status_code == 400 and "sku" in clash.json()
    used = ProductFactory()
    PriceListItemFactory(product=used)
    assert client.delete(f"/api/v1/products/{used.pk}/").status_code == 400


def test_api_filters_products(api, rep):
    storage = ProductFamilyFactory(name="Storage")
    inside = ProductFactory(family=ProductFamilyFactory(parent=storage), name="Inside")
    ProductFactory(name="Outside")
    bundle(name="Kit")
    client = api(rep)
    by_family = client.get("/api/v1/products/", {"family": storage.pk}).json()["results"]
    assert [row["id"] for row in by_family] == [inside.pk]
    kits = client.get("/api/v1/products/", {"kind": "bundle"}).json()["results"]
    assert [row["name"] for row in kits] == ["Kit"]
    found = client.get("/api/v1/products/", {"q": "Inside"}).json()["results"]
    assert [row["id"] for row in found] == [inside.pk]


def test_api_option_written_with_nested_values(api, admin_user, partner_a_user):
    product = ProductFactory()
    body = {
        "product": product.pk,
        "name": "Capacity",
        "code": "capacity",
        "values": [{"name": "2 TB", "code": "2tb"}, {"name": "4 TB", "code": "4tb"}],
    }
    assert (
        api(partner_a_user).post("/api/v1/product-options/", body, format="json").status_code == 403
    )
    created = api(admin_user).post("/api/v1/product-options/", body, format="json")
    assert created.status_code == 201, created.content
    assert [v["code"] for v in created.json()["values"]] == ["2tb", "4tb"]
    again = api(admin_user).post("/api/v1/product-options/", body, format="json")
    assert again.status_code == 400 and "code" in again.json()


def test_api_rule_validation_is_a_400_with_field_errors(api, admin_user, nas):
    product, capacity, _colour = nas
    response = api(admin_user).post(
        "/api/v1/configuration-rules/",
        {"kind": "requires", "if_value": capacity.values.first().pk},
        format="json",
    )
    assert response.status_code == 400 and "then_value" in response.json()


def test_api_family_move_below_itself_is_refused(api, admin_user):
    top = ProductFamilyFactory()
    below = ProductFamilyFactory(parent=top)
    response = api(admin_user).patch(
        f"/api/v1/product-families/{top.pk}/", {"parent": below.pk}, format="json"
    )
    assert response.status_code == 400 and "parent" in response.json()


# --- Search ---------------------------------------------------------------------------


def test_global_search_finds_products_partners_only_active_ones(rep, partner_a_user):
    family = ProductFamilyFactory(name="存储阵列")
    ProductFactory(name="Unified array", sku="UA-9", family=family)
    ProductFactory(name="Legacy array", sku="LA-1", active=False)

    def found(user, query):
        groups = {g["type"]: g["rows"] for g in global_search(user, query)}
        return {product.sku for product in groups.get("products", [])}

    assert found(rep, "array") == {"UA-9", "LA-1"}
    assert found(rep, "存储") == {"UA-9"}
    assert found(rep, "UA-9") == {"UA-9"}
    assert found(partner_a_user, "array") == {"UA-9"}


def test_search_follows_a_family_rename(admin_user, rep):
    family = ProductFamilyFactory(name="Switches")
    ProductFactory(sku="SW-1", family=family)
    family.name = "Routers"
    family_save(family=family, by=admin_user)
    groups = {g["type"]: g["rows"] for g in global_search(rep, "Routers")}
    assert [p.sku for p in groups["products"]] == ["SW-1"]


def test_partner_role_users_are_partners():
    # Guards the assumption the tests above rely on: partner roles are not staff.
    user = UserFactory(role=Role.PARTNER_ADMIN)
    assert not user.is_internal and not user.is_admin


def test_every_catalog_page_opens_for_an_administrator(client, admin_user, nas):
    product, capacity, colour = nas
    box = bundle()
    component = BundleComponent.objects.create(bundle=box, component=product)
    rule = ConfigurationRule.objects.create(
        kind="requires", if_value=capacity.values.first(), then_product=box
    )
    family = ProductFamilyFactory()
    client.force_login(admin_user)
    urls = [
        reverse("catalog:product-list"),
        reverse("catalog:product-create"),
        reverse("catalog:product-edit", args=[product.pk]),
        product.get_absolute_url(),
        box.get_absolute_url(),
        reverse("catalog:product-component-add", args=[box.pk]),
        reverse("catalog:product-component-edit", args=[box.pk, component.pk]),
        reverse("catalog:product-option-add", args=[product.pk]),
        reverse("catalog:product-option-edit", args=[product.pk, capacity.pk]),
        reverse("catalog:family-list"),
        reverse("catalog:family-create"),
        reverse("catalog:family-edit", args=[family.pk]),
        reverse("catalog:tax-class-list"),
        reverse("catalog:tax-class-create"),
        reverse("catalog:tax-class-edit", args=[product.tax_class_id]),
        reverse("catalog:rule-list"),
        reverse("catalog:rule-create"),
        reverse("catalog:rule-edit", args=[rule.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_bundle_page_adds_a_component_and_refuses_a_cycle(client, admin_user):
    outer, inner = bundle(name="Outer kit"), bundle(name="Inner kit")
    client.force_login(admin_user)
    add = reverse("catalog:product-component-add", args=[outer.pk])
    response = client.post(add, {"component": inner.pk, "quantity": "2", "order": "0"})
    assert response.status_code == 302
    back = reverse("catalog:product-component-add", args=[inner.pk])
    response = client.post(back, {"component": outer.pk, "quantity": "1", "order": "0"})
    assert response.status_code == 200
    assert "cannot contain itself" in response.content.decode()
    assert "Inner kit" in client.get(outer.get_absolute_url()).content.decode()


def test_only_administrators_attach_files_to_a_product(admin_user, partner_a_user, rep):
    from allyance.core import audit
    from allyance.core.attachments import attachment_add

    product = ProductFactory()
    for user in (partner_a_user, rep):
        with audit.acting_as(user), pytest.raises(PermissionDenied):
            attachment_add(
                target=product, uploaded_file=SimpleUploadedFile("a.txt", b"spec"), by=user
            )
    with audit.acting_as(admin_user):
        attachment = attachment_add(
            target=product, uploaded_file=SimpleUploadedFile("a.txt", b"spec"), by=admin_user
        )
    assert attachment.pk


def test_only_administrators_remove_a_products_files_and_see_the_upload_form(
    client, admin_user, rep
):
    from allyance.core.attachments import attachment_add, attachment_delete

    product = ProductFactory()
    attachment = attachment_add(
        target=product, uploaded_file=SimpleUploadedFile("spec.txt", b"spec"), by=admin_user
    )
    with pytest.raises(PermissionDenied):
        attachment_delete(attachment=attachment, by=rep)
    client.force_login(rep)
    page = client.get(product.get_absolute_url()).content.decode()
    assert "spec.txt" in page and 'data-testid="attachment-file"' not in page
    client.force_login(admin_user)
    assert (
        'data-testid="attachment-file"' in client.get(product.get_absolute_url()).content.decode()
    )
