"""The repairs area's api URLs, included by ``api/urls.py``."""

from rest_framework.routers import SimpleRouter

from aftersales.api.repairs import RepairViewSet

router = SimpleRouter()
router.register("repairs", RepairViewSet, basename="repair")

urlpatterns: list = router.urls
