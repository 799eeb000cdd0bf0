"""Indirect ordering: the account a partner's orders for stock are booked on."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseAccount(models.Model):
    """The partner's own account (named after it, in its organisation), created once, on which
    its orders for stock are placed; orders for an end customer are on that customer."""

    organisation = models.OneToOneField(
        "core.Organisation",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="house_account",
    )
    account = models.OneToOneField(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="house_of",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner house account")
        verbose_name_plural = _("partner house accounts")

    def __str__(self) -> str:
        return str(self.account)
