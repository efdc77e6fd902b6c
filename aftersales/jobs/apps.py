from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "aftersales.jobs"
    verbose_name = _("Installation, training and migration jobs")
