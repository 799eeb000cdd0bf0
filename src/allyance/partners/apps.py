from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "allyance.partners"
    label = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # Each part registers its search documents, timeline sources and signals here.
        pass
