"""The releases area's desk URLs, included by ``desk/urls.py``."""

from django.urls import path

from aftersales.desk.views import releases as views

urlpatterns = [
    path("releases/", views.release_list, name="release_list"),
    path("releases/new/", views.release_new, name="release_new"),
    path("releases/<int:release_id>/", views.release_detail, name="release_detail"),
    path("releases/<int:release_id>/packages/", views.release_add_package, name="release_add_package"),
    path(
        "releases/<int:release_id>/documentation/", views.release_documentation, name="release_documentation"
    ),
    path("releases/<int:release_id>/publish/", views.release_publish, name="release_publish"),
    path("releases/<int:release_id>/announce/", views.release_announce, name="release_announce"),
    path("releases/<int:release_id>/install/", views.release_install, name="release_install"),
    path("releases/packages/<int:package_id>/", views.release_package_download, name="release_package"),
    path("releases/bulletins/new/", views.bulletin_new, name="release_bulletin_new"),
    path("releases/bulletins/<int:bulletin_id>/", views.bulletin_detail, name="release_bulletin"),
    path(
        "releases/bulletins/<int:bulletin_id>/announce/",
        views.bulletin_announce,
        name="release_bulletin_announce",
    ),
    path("releases/units/<str:serial>/", views.unit_versions, name="release_unit"),
]
