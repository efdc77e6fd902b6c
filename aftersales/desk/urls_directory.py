"""URLs of the console's directory pages, included by ``desk.urls`` under the ``desk`` namespace."""

from django.urls import path

from aftersales.desk.views import directory

urlpatterns = [
    path("units/<str:serial>/", directory.unit_detail, name="unit"),
    path("customers/", directory.customer_list, name="customers"),
    path("customers/<slug:code>/", directory.customer_detail, name="customer"),
    path("roster/", directory.roster, name="roster"),
    path("roster/shifts/<int:pk>/remove/", directory.roster_remove_shift, name="roster_remove_shift"),
]
