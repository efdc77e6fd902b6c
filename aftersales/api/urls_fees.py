"""The fees area's api URLs, included by ``api/urls.py``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from aftersales.api import fees

router = SimpleRouter()
router.register("quotes", fees.QuoteViewSet, basename="quote")

urlpatterns: list = [
    path("fees/schedule/", fees.FeeScheduleView.as_view(), name="fee-schedule"),
    *router.urls,
]
