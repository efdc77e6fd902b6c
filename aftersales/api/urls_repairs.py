"""The repairs area's api URLs, included by ``api/urls.py``."""

urlpatterns: list = []
