"""The releases area's desk URLs, included by ``desk/urls.py``."""

urlpatterns: list = []
