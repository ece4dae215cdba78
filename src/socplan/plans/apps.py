from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "socplan.plans"
    verbose_name = _("Plans and strategies")

    def ready(self):
        from socplan.core.panels import register_panels

        from . import panels

        register_panels("home", panels.home_panels)
        register_panels("region", panels.territory_panels)
        register_panels("municipality", panels.territory_panels)
