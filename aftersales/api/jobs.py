"""Read-only API of jobs for staff: installations, trainings and migrations, by ticket number or id.

Customer users are refused (403): they read their jobs' reports in the portal. Staff see the jobs of
the customers they may see (``jobs.queries``), so an account manager sees only their customers'.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from aftersales.api.permissions import IsVendorStaff
from aftersales.api.views import ScopedViewSet
from aftersales.jobs import queries
from aftersales.jobs.models import (
    InstallationJob,
    InstallationLine,
    MigrationJob,
    MigrationStep,
    TrainingAttendee,
    TrainingSession,
)
from aftersales.tickets.models import Kind


class _JobSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="ticket.number")
    customer = serializers.CharField(source="ticket.customer.code")
    title = serializers.CharField(source="ticket.title")
    # Plain text, not an enum: each job kind has its own statuses, and one schema enum per name
    # would collide (drf-spectacular W001, which ``check --deploy`` rejects).
    status = serializers.CharField(help_text="planned, accepted, held, planning, agreed or completed")

    COMMON = ("id", "number", "customer", "title", "status", "created_at", "updated_at")


class InstallationLineSerializer(serializers.ModelSerializer):
    product_model = serializers.CharField(source="product_model.code")
    site = serializers.CharField(source="site.name", default=None)
    accepted_on = serializers.DateField(source="unit.accepted_on")

    class Meta:
        model = InstallationLine
        fields = (
            "serial",
            "product_model",
            "site",
            "shipped_on",
            "accepted_on",
            "is_new_unit",
            "licensed_features",
            "software_version",
            "notes",
        )


class InstallationJobSerializer(_JobSerializer):
    lines = InstallationLineSerializer(many=True)

    class Meta:
        model = InstallationJob
        fields = (
            *_JobSerializer.COMMON,
            "commissioning_notes",
            "accepted_by_name",
            "accepted_on",
            "acceptance_recorded_at",
            "lines",
        )


class TrainingAttendeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingAttendee
        fields = ("name", "organisation", "department", "score", "comment")


class TrainingSessionSerializer(_JobSerializer):
    trainer = serializers.CharField(source="trainer.username")
    attendees = TrainingAttendeeSerializer(many=True)
    average_score = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()

    class Meta:
        model = TrainingSession
        fields = (
            *_JobSerializer.COMMON,
            "topic",
            "trainer",
            "starts_at",
            "ends_at",
            "place",
            "held_at",
            "summary",
            "average_score",
            "attendees",
            "materials",
        )

    def get_average_score(self, session: TrainingSession) -> str | None:
        average = queries.average_score(session)
        return str(average) if average is not None else None

    def get_materials(self, session: TrainingSession) -> list[str]:
        return [material.name for material in session.materials.all()]


class MigrationStepSerializer(serializers.ModelSerializer):
    done_by = serializers.CharField(source="done_by.username")

    class Meta:
        model = MigrationStep
        fields = ("description", "done_at", "done_by", "outside_window_reason")


class MigrationJobSerializer(_JobSerializer):
    steps = MigrationStepSerializer(many=True)
    result = serializers.CharField(help_text="succeeded, partial, rolled_back, or empty")

    class Meta:
        model = MigrationJob
        fields = (
            *_JobSerializer.COMMON,
            "scope",
            "plan_document_name",
            "plan_uploaded_at",
            "window_starts_at",
            "window_ends_at",
            "window_agreed_with",
            "window_agreed_at",
            "result",
            "result_notes",
            "completed_at",
            "accepted_by_name",
            "accepted_at",
            "steps",
        )


class _JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """One kind of job, read-only; ``?customer=<id>`` narrows the list."""

    permission_classes = [IsVendorStaff]
    lookup_key = "ticket__number"
    kind = ""

    def get_queryset(self):
        jobs = queries.jobs_queryset(self.kind, self.request.user)
        customer = self.request.query_params.get("customer", "")
        if customer.isdigit():
            jobs = jobs.filter(customer_id=int(customer))
        return jobs


_REFERENCE = OpenApiParameter("reference", str, OpenApiParameter.PATH, description="ticket number or id")


@extend_schema_view(
    list=extend_schema(summary="List installation jobs"),
    retrieve=extend_schema(summary="Get an installation job", parameters=[_REFERENCE]),
)
class InstallationJobViewSet(_JobViewSet):
    serializer_class = InstallationJobSerializer
    kind = Kind.INSTALLATION


@extend_schema_view(
    list=extend_schema(summary="List training sessions"),
    retrieve=extend_schema(summary="Get a training session", parameters=[_REFERENCE]),
)
class TrainingSessionViewSet(_JobViewSet):
    serializer_class = TrainingSessionSerializer
    kind = Kind.TRAINING


@extend_schema_view(
    list=extend_schema(summary="List system migrations"),
    retrieve=extend_schema(summary="Get a system migration", parameters=[_REFERENCE]),
)
class MigrationJobViewSet(_JobViewSet):
    serializer_class = MigrationJobSerializer
    kind = Kind.MIGRATION
