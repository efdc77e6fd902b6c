"""The visits area's portal URLs, included by ``portal/urls.py``."""

from django.urls import path

from aftersales.portal import views_visits

urlpatterns: list = [
    path("visits/", views_visits.visit_list, name="visit_list"),
    path("visits/<str:visit_number>/report.pdf", views_visits.visit_report_pdf, name="visit_report_pdf"),
    path("visits/<str:visit_number>/sign/", views_visits.visit_sign, name="visit_sign"),
]
