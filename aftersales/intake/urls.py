"""The console's mail page, under ``/desk/mail/``."""

from django.urls import path

from aftersales.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.mail_review, name="review"),
    path("<int:message_id>/raw/", views.download_raw, name="raw"),
    path("<int:message_id>/process/", views.process_again, name="process"),
]
