from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "allyance.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from allyance.core import attachments, audit, page_cache

        audit.connect_signals()
        attachments.connect_signals()
        page_cache.connect_signals()
