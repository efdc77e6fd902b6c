"""The spares area's api URLs, included by ``api/urls.py``."""

from rest_framework.routers import SimpleRouter

from aftersales.api.spares import LoanViewSet

router = SimpleRouter()
router.register("loans", LoanViewSet, basename="loan")

urlpatterns = router.urls
