from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo vendor and its data (``aftersales demo``); no models of its own."""

    name = "aftersales.demo"
    verbose_name = _("Demo data")
