"""The repairs area's desk URLs, included by ``desk/urls.py``."""

from django.urls import path

from aftersales.desk.views import repairs

urlpatterns: list = [
    path("repairs/", repairs.repair_list, name="repair_list"),
    path("repairs/ticket/<str:number>/panel/", repairs.repair_ticket_panel, name="repair_ticket_panel"),
    path("repairs/ticket/<str:number>/open/", repairs.repair_open, name="repair_open"),
    path("repairs/<str:rma_number>/", repairs.repair_detail, name="repair_detail"),
    path("repairs/<str:rma_number>/<str:action>/", repairs.repair_action, name="repair_action"),
]
