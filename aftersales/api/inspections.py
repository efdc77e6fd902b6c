"""API of inspections: the inspection and periodic-contact visits the caller may see, with results.

Read-only: a customer's integration reads its organisation's inspection visits (overdue ones
marked) and their checklist results; staff read every customer's. Changes go through the desk.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from aftersales.api.serializers import CustomerBriefSerializer, OutputSerializer, SiteBriefSerializer
from aftersales.api.views import ScopedViewSet
from aftersales.core.business_time import local_date
from aftersales.inspections.models import ChecklistResult
from aftersales.inspections.queries import (
    BOARD_STATES,
    customer_inspection_visits,
    filter_by_state,
    visit_state,
)
from aftersales.visits.models import Visit


class ChecklistResultSerializer(OutputSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    unit = serializers.SlugRelatedField(slug_field="serial", read_only=True, allow_null=True)
    has_photo = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistResult
        fields = ["id", "section", "label", "unit", "outcome", "note", "has_photo", "ticket"]

    def get_has_photo(self, result: ChecklistResult) -> bool:
        return bool(result.photo)


class InspectionVisitSerializer(OutputSerializer):
    # Plain strings: the visit's kind and status names would collide with the ticket's enums.
    kind = serializers.CharField(read_only=True, help_text="inspection or periodic_contact")
    status = serializers.CharField(
        read_only=True, help_text="the visit's status (planned … completed, cancelled)"
    )
    customer = CustomerBriefSerializer(read_only=True)
    site = SiteBriefSerializer(read_only=True, allow_null=True)
    state = serializers.SerializerMethodField(help_text="upcoming, due, overdue, done or cancelled")
    plan = serializers.SerializerMethodField()
    checklist_completed_at = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "state",
            "customer",
            "site",
            "plan",
            "planned_start",
            "due_on",
            "checklist_completed_at",
        ]

    def get_state(self, visit: Visit) -> str:
        return visit_state(visit, today=self.context["today"])

    def get_plan(self, visit: Visit) -> str | None:
        occurrence = getattr(visit, "plan_occurrence", None)
        return occurrence.plan.name if occurrence else None

    def get_checklist_completed_at(self, visit: Visit) -> str | None:
        checklist = getattr(visit, "checklist", None)
        if checklist is None or checklist.completed_at is None:
            return None
        return serializers.DateTimeField().to_representation(checklist.completed_at)


class InspectionVisitDetailSerializer(InspectionVisitSerializer):
    results = ChecklistResultSerializer(source="checklist_results", many=True, read_only=True)
    summary = serializers.SerializerMethodField()

    class Meta(InspectionVisitSerializer.Meta):
        fields = [*InspectionVisitSerializer.Meta.fields, "summary", "results"]

    def get_summary(self, visit: Visit) -> str:
        checklist = getattr(visit, "checklist", None)
        return checklist.summary if checklist is not None else ""


@extend_schema_view(
    list=extend_schema(
        summary="List inspection visits",
        parameters=[OpenApiParameter("state", str, enum=list(BOARD_STATES), description="only this state")],
    ),
    retrieve=extend_schema(
        summary="Get an inspection visit with its checklist results",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, description="id or number")],
    ),
)
class InspectionVisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Inspection and periodic-contact visits of the customers the caller may see."""

    lookup_key = "number"

    def get_queryset(self):
        visits = customer_inspection_visits(self.request.user)
        if self.action == "retrieve":
            visits = visits.prefetch_related("checklist_results__ticket", "checklist_results__unit")
        return visits

    def get_serializer_class(self):
        return InspectionVisitDetailSerializer if self.action == "retrieve" else InspectionVisitSerializer

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "today": local_date(timezone.now())}

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        state = self.request.query_params.get("state", "")
        if state in BOARD_STATES:
            queryset = filter_by_state(queryset, state, today=local_date(timezone.now()))
        return queryset
