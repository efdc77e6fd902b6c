"""The visits area's portal URLs, included by ``portal/urls.py``."""

urlpatterns: list = []
