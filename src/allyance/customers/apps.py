from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "allyance.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from allyance.core import search
        from allyance.customers.models import Account, Contact
        from allyance.customers.selectors import accounts_visible_to, contacts_visible_to

        search.register(
            Account,
            document=search.account_document,
            selector=accounts_visible_to,
            group="accounts",
        )
        search.register(
            Contact,
            document=search.contact_document,
            select_related=("account",),
            follows={Account: "account"},
            selector=contacts_visible_to,
            group="contacts",
        )
