"""The repairs area's portal URLs, included by ``portal/urls.py``."""

from django.urls import path

from aftersales.portal import views_repairs

urlpatterns: list = [
    path("repairs/", views_repairs.repair_list, name="repair_list"),
    path("repairs/<str:rma_number>/", views_repairs.repair_detail, name="repair_detail"),
    path(
        "repairs/<str:rma_number>/acknowledge/", views_repairs.repair_acknowledge, name="repair_acknowledge"
    ),
    path(
        "repairs/<str:rma_number>/quote/", views_repairs.repair_quote_decision, name="repair_quote_decision"
    ),
    path("repairs/<str:rma_number>/received/", views_repairs.repair_received, name="repair_received"),
]
