from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API ``/api/v1/`` for integrations (PBX, CRM, monitoring) and scripts."""

    name = "aftersales.api"
    label = "api"
    verbose_name = _("REST API")
