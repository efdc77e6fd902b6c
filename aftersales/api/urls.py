"""``/api/v1/``: tickets, units, customers, contacts, the PBX screen pop, the schema and its page.

The documentation page loads Swagger UI from this server's static files
(drf-spectacular-sidecar): the product runs on intranets without internet.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from aftersales.api import views

app_name = "api"

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("units", views.UnitViewSet, basename="unit")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("contacts", views.ContactViewSet, basename="contact")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("calls/", views.CallView.as_view(), name="calls"),
    *router.urls,
    path("", include("aftersales.api.urls_visits")),
    path("", include("aftersales.api.urls_inspections")),
    path("", include("aftersales.api.urls_jobs")),
    path("", include("aftersales.api.urls_spares")),
    path("", include("aftersales.api.urls_repairs")),
    path("", include("aftersales.api.urls_fees")),
    path("", include("aftersales.api.urls_releases")),
    path("", include("aftersales.api.urls_yearend")),
    re_path(r"^(?P<path>.*)$", views.unknown_endpoint, name="unknown"),  # last: a JSON 404
]
