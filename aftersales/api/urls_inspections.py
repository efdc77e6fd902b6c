"""The inspections area's api URLs, included by ``api/urls.py``."""

from rest_framework.routers import SimpleRouter

from aftersales.api.inspections import InspectionVisitViewSet

router = SimpleRouter()
router.register("inspections/visits", InspectionVisitViewSet, basename="inspection_visit")

urlpatterns: list = [*router.urls]
