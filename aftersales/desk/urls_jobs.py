"""The jobs area's desk URLs, included by ``desk/urls.py``."""

from django.urls import path

from aftersales.desk.views import jobs

urlpatterns: list = [
    path("jobs/", jobs.job_list, name="job_list"),
    path("jobs/new/<str:kind>/", jobs.job_new, name="job_new"),
    path("jobs/ticket/<str:number>/", jobs.job_detail, name="job_detail"),
    path("jobs/ticket/<str:number>/panel/", jobs.job_panel, name="job_panel"),
    path("jobs/ticket/<str:number>/report.pdf", jobs.job_report, name="job_report"),
    path("jobs/ticket/<str:number>/files/<int:file_id>/", jobs.job_file, name="job_file"),
    path("jobs/ticket/<str:number>/<slug:action>/", jobs.job_action, name="job_action"),
]
