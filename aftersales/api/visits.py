"""Read-only API of visits for vendor staff: ``/api/v1/visits/`` and ``/api/v1/visits/<number or id>/``."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from aftersales.api.permissions import IsVendorStaff
from aftersales.api.views import ScopedViewSet
from aftersales.core.business_time import local_date
from aftersales.visits import queries
from aftersales.visits.models import Visit, VisitEngineer


class VisitEngineerSerializer(serializers.ModelSerializer):
    engineer = serializers.CharField(source="engineer.username")
    is_arrival_confirmed = serializers.BooleanField(read_only=True)

    class Meta:
        model = VisitEngineer
        fields = [
            "engineer",
            "is_rnd",
            "accepted_at",
            "departed_at",
            "arrived_at",
            "arrival_note",
            "is_arrival_confirmed",
            "arrival_confirmed_at",
            "confirmation",
            "left_at",
        ]


class BillableLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=8, decimal_places=2)
    description = serializers.CharField()


class VisitSerializer(serializers.ModelSerializer):
    # Plain strings: a second "status"/"kind" enum would collide with the tickets' in the schema.
    kind = serializers.CharField(read_only=True, help_text="onsite_repair, site_survey, installation, …")
    status = serializers.CharField(
        read_only=True, help_text="planned, accepted, on_the_way, on_site, left, completed, cancelled"
    )
    ticket = serializers.CharField(source="ticket.number", default=None)
    customer = serializers.CharField(source="customer.code")
    site = serializers.CharField(source="site.name", default=None)
    crew = VisitEngineerSerializer(many=True, read_only=True)
    is_overdue = serializers.BooleanField(source="overdue", read_only=True)
    is_report_signed = serializers.SerializerMethodField()
    billable_lines = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "ticket",
            "customer",
            "site",
            "purpose",
            "why_remote_failed",
            "planned_start",
            "planned_end",
            "due_on",
            "is_overdue",
            "is_chargeable",
            "chargeable_reason",
            "travel_zone",
            "hours_on_site",
            "completed_at",
            "crew",
            "is_report_signed",
            "billable_lines",
        ]

    def get_is_report_signed(self, visit: Visit) -> bool:
        report = queries.report_of(visit)
        return bool(report and report.is_signed)

    @extend_schema(responses=BillableLineSerializer(many=True))
    def get_billable_lines(self, visit: Visit) -> list[dict]:
        return BillableLineSerializer(queries.billable_lines(visit), many=True).data


@extend_schema_view(
    list=extend_schema(summary="List visits", description="Staff only; newest first; cursor pages."),
    retrieve=extend_schema(
        summary="Get a visit by id or number",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, description="id or number")],
    ),
)
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Visits the staff member may see (``visits.queries.visits_visible_to``)."""

    permission_classes = [IsVendorStaff]
    serializer_class = VisitSerializer
    lookup_key = "number"

    def get_queryset(self):
        today = local_date(timezone.now())
        return queries.for_lists(queries.visits_visible_to(self.request.user), today).prefetch_related(
            "report__parts"
        )
