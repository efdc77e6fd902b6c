"""The jobs area's api URLs, included by ``api/urls.py``."""

from rest_framework.routers import SimpleRouter

from aftersales.api import jobs

router = SimpleRouter()
router.register("jobs/installations", jobs.InstallationJobViewSet, basename="job-installation")
router.register("jobs/trainings", jobs.TrainingSessionViewSet, basename="job-training")
router.register("jobs/migrations", jobs.MigrationJobViewSet, basename="job-migration")

urlpatterns: list = router.urls
