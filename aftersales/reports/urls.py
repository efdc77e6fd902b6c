from django.urls import path

from aftersales.reports import views, yearend_views

app_name = "reports"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("overview.xlsx", views.overview_export, name="overview_export"),
    # The year-end reports (年度服务报告): generate on demand, the archive, download, send.
    path("year-end/", yearend_views.year_end, name="yearend"),
    path("year-end/<int:report_id>/download/", yearend_views.year_end_download, name="yearend_download"),
    path("year-end/<int:report_id>/send/", yearend_views.year_end_send, name="yearend_send"),
]
