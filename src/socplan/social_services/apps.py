from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialServicesConfig(AppConfig):
    name = "socplan.social_services"
    verbose_name = _("Social services")
