from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SparesConfig(AppConfig):
    name = "aftersales.spares"
    verbose_name = _("Spare units, parts and loans")
