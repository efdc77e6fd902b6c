"""The visits area's api URLs, included by ``api/urls.py``."""

from rest_framework.routers import SimpleRouter

from aftersales.api.visits import VisitViewSet

router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visit")

urlpatterns: list = router.urls
