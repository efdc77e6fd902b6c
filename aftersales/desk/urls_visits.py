"""The visits area's desk URLs, included by ``desk/urls.py``."""

from django.urls import path

from aftersales.desk.views import visits

urlpatterns: list = [
    path("visits/", visits.visit_board, name="visit_board"),
    path("visits/dispatch/<str:number>/", visits.visit_dispatch, name="visit_dispatch"),
    path("visits/ticket/<str:number>/panel/", visits.visit_ticket_panel, name="visit_ticket_panel"),
    path("visits/<str:visit_number>/", visits.visit_detail, name="visit_detail"),
    path("visits/<str:visit_number>/replan/", visits.visit_replan, name="visit_replan"),
    path("visits/<str:visit_number>/cancel/", visits.visit_cancel, name="visit_cancel"),
    path("visits/<str:visit_number>/quote/", visits.visit_quote, name="visit_quote"),
    path("visits/<str:visit_number>/stamped/", visits.visit_stamped_copy, name="visit_stamped_copy"),
    path(
        "visits/<str:visit_number>/stamped/download/",
        visits.visit_stamped_download,
        name="visit_stamped_download",
    ),
    path("visits/<str:visit_number>/report.pdf", visits.visit_report_pdf, name="visit_report_pdf"),
    path("my-visits/", visits.my_visits, name="visit_mine"),
    path("my-visits/<str:visit_number>/", visits.my_visit, name="visit_my_visit"),
    path("my-visits/<str:visit_number>/<str:step>/", visits.my_visit_step, name="visit_my_step"),
]
