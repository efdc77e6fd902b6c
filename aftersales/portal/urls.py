"""URLs of the customer portal, all under ``/portal/`` in the ``portal`` namespace.

A parameter names an object of the customer's organisation: ``number`` (a
ticket), ``serial`` (a unit), ``contract_id``, ``attachment_id``. The
tenant-isolation test fills every parameter by its name with another
organisation's object, so a new name needs a line there.
"""

from django.urls import include, path

from aftersales.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:number>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<str:number>/follow-up/", views.ticket_follow_up, name="follow_up"),
    path("tickets/<str:number>/files/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("report/fault/", views.report_fault, name="report_fault"),
    path("report/consultation/", views.report_consultation, name="report_consultation"),
    path("report/complaint/", views.report_complaint, name="report_complaint"),
    path("units/", views.unit_list, name="units"),
    path("units/<str:serial>/", views.unit_detail, name="unit"),
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract"),
    path("promises/", views.promises, name="promises"),
    path("", include("aftersales.portal.urls_visits")),
    path("", include("aftersales.portal.urls_inspections")),
    path("", include("aftersales.portal.urls_jobs")),
    path("", include("aftersales.portal.urls_spares")),
    path("", include("aftersales.portal.urls_repairs")),
    path("", include("aftersales.portal.urls_fees")),
    path("", include("aftersales.portal.urls_releases")),
    path("", include("aftersales.portal.urls_yearend")),
]
