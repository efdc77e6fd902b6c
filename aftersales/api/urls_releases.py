"""The releases area's api URLs, included by ``api/urls.py``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from aftersales.api import releases

router = SimpleRouter()
router.register("releases", releases.ReleaseViewSet, basename="release")

urlpatterns = [
    *router.urls,
    path("units/<str:reference>/packages/", releases.UnitPackagesView.as_view(), name="unit-packages"),
]
