"""Import of products into the catalog: Chinese headers and encodings, families and tax
classes by name, duplicates matched on SKU, administrators only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from allyance.catalog.models import Product
from allyance.core.imports import import_job_create, import_job_start
from allyance.core.models import ImportJob
from tests.factories import ProductFactory, ProductFamilyFactory, TaxClassFactory

pytestmark = pytest.mark.django_db

SIMPLIFIED = (
    "编码,名称,产品系列,单位,税率,描述,保修期,启用\n"
    "NAS-200,统一存储阵列,存储 / 阵列,台,VAT 13%,双控制器,36,是\n"
    "SW-10,千兆交换机,网络,台,VAT 13%,,12,否\n"
)
TRADITIONAL = "料號,品名,類別,單位,稅率,保固期\nTW-1,企業級硬碟,網路,顆,VAT 13%,24\n"


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def catalog_tree():
    TaxClassFactory()
    storage = ProductFamilyFactory(name="存储")
    ProductFamilyFactory(name="阵列", parent=storage)
    ProductFamilyFactory(name="网络")
    ProductFamilyFactory(name="網路")


def preview(user, data: bytes, **options) -> ImportJob:
    job = import_job_create(
        by=user, target="products", upload=SimpleUploadedFile("products.csv", data), **options
    )
    return import_job_start(job=job, dry_run=True)


def run(user, data: bytes, **options) -> ImportJob:
    job = preview(user, data, **options)
    assert job.status == ImportJob.Status.PREVIEWED, (job.message, job.errors)
    return import_job_start(job=job, dry_run=False)


def test_a_gb18030_csv_with_chinese_headers_imports_products(admin_user, catalog_tree):
    job = run(admin_user, SIMPLIFIED.encode("gb18030"))
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    assert job.encoding == "gb18030"
    nas = Product.objects.get(sku="NAS-200")
    assert nas.name == "统一存储阵列"
    assert nas.family.name == "阵列" and nas.family.parent.name == "存储"
    assert nas.unit == "台" and nas.tax_class.name == "VAT 13%"
    assert nas.warranty_months == 36 and nas.active
    assert nas.description == "双控制器"
    switch = Product.objects.get(sku="SW-10")
    assert switch.family.name == "网络" and not switch.active
    assert nas.organisation.kind == "company"


def test_traditional_headers_import_too(admin_user, catalog_tree):
    job = run(admin_user, TRADITIONAL.encode("big5"), encoding="big5")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    disk = Product.objects.get(sku="TW-1")
    assert disk.name == "企業級硬碟" and disk.family.name == "網路" and disk.warranty_months == 24


def test_only_administrators_import_into_the_catalog(rep, partner_a_user):
    for user in (rep, partner_a_user):
        with pytest.raises(ValidationError) as caught:
            preview(user, SIMPLIFIED.encode("utf-8"))
        assert "administrators" in " ".join(caught.value.messages)


def test_duplicate_sku_is_skipped_by_default(admin_user, catalog_tree):
    ProductFactory(sku="nas-200", name="Old name")
    job = run(admin_user, SIMPLIFIED.encode("utf-8"))
    assert job.status == ImportJob.Status.DONE
    assert Product.objects.get(sku__iexact="nas-200").name == "Old name"
    duplicates = [r for r in job.errors if r["kind"] == "duplicate"]
    assert [r["line"] for r in duplicates] == [2] and "SKU" in duplicates[0]["messages"][0]


def test_duplicate_sku_updates_when_asked(admin_user, catalog_tree):
    existing = ProductFactory(sku="NAS-200", name="Old name")
    job = run(admin_user, SIMPLIFIED.encode("utf-8"), on_duplicate="update")
    assert job.status == ImportJob.Status.DONE
    existing.refresh_from_db()
    assert existing.name == "统一存储阵列" and existing.warranty_months == 36
    assert Product.objects.filter(sku__iexact="NAS-200").count() == 1


def test_create_anyway_cannot_break_the_unique_sku(admin_user, catalog_tree):
    ProductFactory(sku="NAS-200")
    job = preview(admin_user, SIMPLIFIED.encode("utf-8"), on_duplicate="create")
    assert job.status != ImportJob.Status.DONE
    errors = [r for r in job.errors if r["kind"] == "error"]
    assert [r["line"] for r in errors] == [2]
    assert "already has this SKU" in errors[0]["messages"][0]
    assert Product.objects.filter(sku__iexact="NAS-200").count() == 1


def test_the_same_sku_twice_in_a_file_is_a_duplicate(admin_user, catalog_tree):
    data = b"SKU,Name\nA-1,First\na-1,Second\n"
    job = run(admin_user, data)
    assert list(Product.objects.values_list("name", flat=True)) == ["First"]
    assert [r["line"] for r in job.errors if r["kind"] == "duplicate"] == [3]


def test_unknown_family_or_tax_class_is_a_row_error_and_nothing_is_imported(
    admin_user, catalog_tree
):
    data = (
        "SKU,Name,Family,Tax class,Warranty (months)\nA-1,Good,网络,,\nB-2,Bad,Nowhere,VAT 99%,x\n"
    )
    job = preview(admin_user, data.encode())
    errors = [r for r in job.errors if r["kind"] == "error"]
    assert [r["line"] for r in errors] == [3]
    text = " ".join(errors[0]["messages"])
    assert "Nowhere" in text and "VAT 99%" in text and "whole number" in text
    assert not Product.objects.exists()
