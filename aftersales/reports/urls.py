from django.urls import path

from aftersales.reports import views

app_name = "reports"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("overview.xlsx", views.overview_export, name="overview_export"),
]
