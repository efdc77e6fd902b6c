from django.contrib.auth import views as auth_views
from django.urls import path

from aftersales.desk import views

app_name = "desk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", auth_views.LoginView.as_view(template_name="desk/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket"),
]
