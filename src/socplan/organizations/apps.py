from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "socplan.organizations"
    verbose_name = _("Organisations and roles")

    def ready(self):
        from socplan.core.panels import register_panels
        from socplan.core.scoping import register_scope_resolver

        from . import panels
        from .selectors import user_scope

        register_scope_resolver(user_scope)
        register_panels("home", panels.home_panels)
        register_panels("region", panels.territory_panels)
        register_panels("municipality", panels.territory_panels)
