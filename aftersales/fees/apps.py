from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "aftersales.fees"
    verbose_name = _("Fee schedule, quotes and statements")
