"""The releases area's portal URLs, included by ``portal/urls.py``.

``serial`` names one of the organisation's units, ``package_id`` a release
package offered to that unit (anything else is a 404).
"""

from django.urls import path

from aftersales.portal import views_releases as views

urlpatterns = [
    path("downloads/", views.downloads, name="downloads"),
    path("downloads/<str:serial>/<int:package_id>/", views.package_download, name="download_package"),
    path(
        "downloads/<str:serial>/<int:package_id>/documentation/",
        views.package_documentation,
        name="download_documentation",
    ),
    path(
        "downloads/<str:serial>/<int:package_id>/installed/",
        views.package_installed,
        name="download_installed",
    ),
]
