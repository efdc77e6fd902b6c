"""The inspections area's portal URLs, included by ``portal/urls.py``."""

from django.urls import path

from aftersales.portal import views_inspections as views

urlpatterns: list = [
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections/<str:inspection_number>/report.pdf", views.inspection_report, name="inspection_report"),
]
