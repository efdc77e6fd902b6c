"""URLs of the staff console, all under ``/desk/`` in the ``desk`` namespace."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from aftersales.desk.views import auth, inbox, intake, queue, tickets

app_name = "desk"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("queue/rows/", queue.queue_rows, name="queue_rows"),
    path("queue/export.xlsx", queue.queue_export, name="queue_export"),
    path("login/", auth.DeskLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tickets/<str:number>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:number>/do/<slug:action>/", tickets.ticket_action, name="ticket_action"),
    path("tickets/<str:number>/acceptance-form/", tickets.acceptance_form, name="acceptance_form"),
    path("intake/phone/", intake.phone_intake, name="intake_phone"),
    path("intake/phone/done/<str:number>/", intake.phone_intake_done, name="intake_done"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.inbox_mark_read, name="inbox_read"),
    path("", include("aftersales.desk.urls_directory")),
    path("", include("aftersales.desk.urls_visits")),
    path("", include("aftersales.desk.urls_inspections")),
    path("", include("aftersales.desk.urls_jobs")),
    path("", include("aftersales.desk.urls_spares")),
    path("", include("aftersales.desk.urls_repairs")),
    path("", include("aftersales.desk.urls_fees")),
    path("", include("aftersales.desk.urls_releases")),
    path("", include("aftersales.desk.urls_yearend")),
]
