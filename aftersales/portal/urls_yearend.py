"""The yearend area's portal URLs, included by ``portal/urls.py``."""

from django.urls import path

from aftersales.portal import views_yearend

urlpatterns: list = [
    path("year-end/", views_yearend.yearend_list, name="yearend_list"),
    path(
        "year-end/<int:yearend_report_id>/download/",
        views_yearend.yearend_download,
        name="yearend_download",
    ),
]
