"""The jobs area's portal URLs, included by ``portal/urls.py``."""

from django.urls import path

from aftersales.portal import views_jobs

urlpatterns: list = [
    path("jobs/", views_jobs.job_list, name="job_list"),
    path("jobs/<str:job_number>/report.pdf", views_jobs.job_report, name="job_report"),
]
