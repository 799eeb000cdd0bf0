"""The catalog: products and services, their families, tax classes, bundles and options.

Centrally maintained: staff read it all, partners and portal customers read the active
products, and only administrators change it (see `core.visibility`).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allyance.core.models import BusinessModel, Tag
from allyance.core.record_urls import record_url


class TaxClass(models.Model):
    """A tax rate products are sold at, e.g. VAT 13 % or exempt."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    rate = models.DecimalField(
        pgettext_lazy("tax", "rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    description = models.CharField(_("description"), max_length=255, blank=True)

    audited = True

    class Meta:
        verbose_name = _("tax class")
        verbose_name_plural = _("tax classes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductFamily(models.Model):
    """A node of the product family tree (e.g. Storage › Disk arrays)."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent family"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.CharField(_("description"), max_length=255, blank=True)

    audited = True

    class Meta:
        verbose_name = _("product family")
        verbose_name_plural = _("product families")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unique_product_family_name")
        ]

    def __str__(self) -> str:
        return self.name


class Product(BusinessModel):
    """Something the company sells: a product, a service, or a bundle of other products."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Product")
        SERVICE = "service", _("Service")
        BUNDLE = "bundle", _("Bundle")

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PRODUCT)
    family = models.ForeignKey(
        ProductFamily,
        verbose_name=_("family"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    tax_class = models.ForeignKey(
        TaxClass,
        verbose_name=_("tax class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/", blank=True)
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), null=True, blank=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")

    centrally_maintained = True
    search_fields = ("sku", "name", "description")

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["family", "name"]),
            models.Index(fields=["active", "name"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def get_absolute_url(self) -> str:
        return record_url("catalog:product-detail", self.pk)

    @property
    def active_display(self) -> str:
        """“Active” or “Inactive”, for lists that show the state as words."""
        return str(_("Active") if self.active else _("Inactive"))

    @classmethod
    def shared_with(cls, user) -> Q:
        """Partners and portal customers see the active products."""
        return Q(active=True)


class BundleComponent(models.Model):
    """A product that comes inside a bundle, in a quantity per bundle."""

    bundle = models.ForeignKey(
        Product, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="components"
    )
    component = models.ForeignKey(
        Product, verbose_name=_("component"), on_delete=models.PROTECT, related_name="in_bundles"
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    optional = models.BooleanField(_("optional"), default=False)
    order = models.PositiveIntegerField(pgettext_lazy("sort position", "order"), default=0)

    audited = True

    class Meta:
        verbose_name = _("bundle component")
        verbose_name_plural = _("bundle components")
        ordering = ["bundle", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "component"], name="unique_bundle_component"),
            models.CheckConstraint(
                condition=~Q(bundle=models.F("component")), name="bundle_not_its_own_component"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bundle} › {self.component} × {self.quantity}"


class ProductOption(models.Model):
    """An attribute a product is configured by, such as capacity or colour."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="options"
    )
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=60)
    required = models.BooleanField(_("required"), default=False)
    multiple = models.BooleanField(
        _("several values allowed"), default=False, help_text=_("Otherwise one value at most.")
    )
    order = models.PositiveIntegerField(pgettext_lazy("sort position", "order"), default=0)

    audited = True

    class Meta:
        verbose_name = _("product option")
        verbose_name_plural = _("product options")
        ordering = ["product", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="unique_product_option_code")
        ]

    def __str__(self) -> str:
        return self.name


class OptionValue(models.Model):
    """One allowed value of an option (e.g. capacity 2 TB) and what it does to the price."""

    class Effect(models.TextChoices):
        AMOUNT = "amount", _("Amount per unit")
        PERCENT = "percent", _("Percent of the base price")

    option = models.ForeignKey(
        ProductOption, verbose_name=_("option"), on_delete=models.CASCADE, related_name="values"
    )
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=60)
    price_effect_kind = models.CharField(
        _("price effect"), max_length=10, choices=Effect.choices, default=Effect.AMOUNT
    )
    price_effect = models.DecimalField(
        _("price effect value"),
        max_digits=14,
        decimal_places=4,
        default=Decimal("0"),
        help_text=_("Added to the unit price; negative for a reduction."),
    )
    is_default = models.BooleanField(_("default"), default=False)
    order = models.PositiveIntegerField(pgettext_lazy("sort position", "order"), default=0)

    audited = True

    class Meta:
        verbose_name = _("option value")
        verbose_name_plural = _("option values")
        ordering = ["option", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["option", "code"], name="unique_option_value_code")
        ]

    def __str__(self) -> str:
        return f"{self.option.name}: {self.name}"


class ConfigurationRule(models.Model):
    """A rule between options and products that a configuration must keep.

    `requires`: choosing the subject needs the object too. `excludes`: the two cannot be
    chosen together. `only_with`: the subject is allowed only together with one of the
    objects its `only_with` rules name. Subject and object are each an option value or a
    product; a rule with a `product` applies only when configuring that product.
    """

    class Kind(models.TextChoices):
        REQUIRES = "requires", _("requires")
        EXCLUDES = "excludes", _("excludes")
        ONLY_WITH = "only_with", _("only with")

    product = models.ForeignKey(
        Product,
        verbose_name=_("applies to product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="configuration_rules",
        help_text=_("Empty: the rule applies wherever its subject is chosen."),
    )
    kind = models.CharField(_("rule"), max_length=10, choices=Kind.choices)
    if_value = models.ForeignKey(
        OptionValue,
        verbose_name=_("if option value"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules_as_subject",
    )
    if_product = models.ForeignKey(
        Product,
        verbose_name=_("if product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules_as_subject",
    )
    then_value = models.ForeignKey(
        OptionValue,
        verbose_name=_("option value"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules_as_object",
    )
    then_product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules_as_object",
    )
    message = models.CharField(
        _("message"),
        max_length=255,
        blank=True,
        help_text=_("Shown when a configuration breaks the rule; empty: a generated message."),
    )
    active = models.BooleanField(_("active"), default=True)

    audited = True

    class Meta:
        verbose_name = _("configuration rule")
        verbose_name_plural = _("configuration rules")
        ordering = ["product", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(if_value__isnull=False, if_product__isnull=True)
                | Q(if_value__isnull=True, if_product__isnull=False),
                name="configuration_rule_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(then_value__isnull=False, then_product__isnull=True)
                | Q(then_value__isnull=True, then_product__isnull=False),
                name="configuration_rule_one_object",
            ),
        ]

    def __str__(self) -> str:
        subject = self.if_value or self.if_product
        target = self.then_value or self.then_product
        return f"{subject} {self.get_kind_display()} {target}"
