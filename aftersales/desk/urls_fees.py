"""The fees area's desk URLs, included by ``desk/urls.py``."""

from django.urls import path

from aftersales.desk.views import fees

urlpatterns: list = [
    path("fees/", fees.fee_schedule, name="fee_schedule"),
    path("quotes/", fees.quote_list, name="quote_list"),
    path("quotes/new/", fees.quote_new, name="quote_new"),
    path("quotes/ticket/<str:number>/panel/", fees.quote_ticket_panel, name="quote_ticket_panel"),
    path("quotes/statements/", fees.statement_list, name="statement_list"),
    path("quotes/statements/<str:statement_number>/", fees.statement_detail, name="statement_detail"),
    path(
        "quotes/statements/<str:statement_number>/export.xlsx",
        fees.statement_export,
        name="statement_export",
    ),
    path("quotes/<str:quote_number>/", fees.quote_detail, name="quote_detail"),
    path("quotes/<str:quote_number>/do/<slug:action>/", fees.quote_action, name="quote_action"),
]
