"""The spares area's portal URLs, included by ``portal/urls.py``."""

from django.urls import path

from aftersales.portal import views_spares

urlpatterns = [
    path("loans/", views_spares.loan_list, name="loans"),
]
