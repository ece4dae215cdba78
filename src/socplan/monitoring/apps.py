from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "socplan.monitoring"
    verbose_name = _("Monitoring and evaluation")

    def ready(self):
        from socplan.core.panels import register_panels

        from . import panels

        register_panels("home", panels.home_panels)
        register_panels("region", panels.territory_panels)
        register_panels("municipality", panels.territory_panels)
