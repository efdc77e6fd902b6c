from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleasesConfig(AppConfig):
    name = "aftersales.releases"
    verbose_name = _("Software releases and bulletins")
