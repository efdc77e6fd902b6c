"""The fees area's portal URLs, included by ``portal/urls.py``."""

from django.urls import path

from aftersales.portal import views_fees

urlpatterns: list = [
    path("fees/", views_fees.fees_schedule, name="fees_schedule"),
    path("quotes/", views_fees.quote_list, name="quote_list"),
    path("quotes/statements/<str:statement_number>/", views_fees.statement_detail, name="statement_detail"),
    path(
        "quotes/statements/<str:statement_number>/export.xlsx",
        views_fees.statement_export,
        name="statement_export",
    ),
    path("quotes/<str:quote_number>/", views_fees.quote_detail, name="quote_detail"),
]
