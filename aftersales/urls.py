"""URL map: staff console /desk/, portal /portal/, API /api/v1/, admin /admin/, /healthz."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from aftersales.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", core_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("desk/search/", include("aftersales.search.urls")),
    path("desk/mail/", include("aftersales.intake.urls")),
    path("desk/", include("aftersales.desk.urls")),
    path("portal/", include("aftersales.portal.urls")),
    path("account/", include("aftersales.accounts.urls")),
    path("reports/", include("aftersales.reports.urls")),
    path("api/v1/", include("aftersales.api.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
