from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "allyance.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # Each part connects its search documents and signals in its own method.
        pass
