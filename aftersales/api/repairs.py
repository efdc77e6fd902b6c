"""``/api/v1/repairs/``: return-to-factory repairs, read-only, scoped like tickets.

Staff see the repairs of the tickets they may see; a customer user only its organisation's
(another organisation's repair is a 404, as everywhere in the API).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from aftersales.api.views import ScopedViewSet
from aftersales.repairs.models import Repair, RepairEvent, Status
from aftersales.repairs.queries import repairs_visible_to


class RepairSerializer(serializers.ModelSerializer):
    # A plain string, not an enum: drf-spectacular would name every model's "status" enum alike.
    status = serializers.CharField(read_only=True, help_text="One of: " + ", ".join(Status.values))
    ticket = serializers.CharField(source="ticket.number", read_only=True)
    customer = serializers.CharField(source="customer.code", read_only=True)
    unit = serializers.CharField(source="unit.serial", read_only=True)
    replacement_unit = serializers.CharField(source="replacement_unit.serial", read_only=True, default=None)

    class Meta:
        model = Repair
        fields = [
            "id",
            "number",
            "status",
            "ticket",
            "customer",
            "unit",
            "is_chargeable",
            "opened_at",
            "backup_ack_at",
            "erasure_method",
            "received_at",
            "shipped_back_at",
            "returned_at",
            "next_due_at",
            "has_breach",
            "quote_number",
            "replacement_unit",
        ]
        read_only_fields = fields


class RepairEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RepairEvent
        fields = ["at", "kind", "from_status", "to_status", "text", "data"]
        read_only_fields = fields


class RepairDetailSerializer(RepairSerializer):
    events = serializers.SerializerMethodField()

    class Meta(RepairSerializer.Meta):
        fields = [
            *RepairSerializer.Meta.fields,
            "fault",
            "diagnosis",
            "work_done",
            "backup_ack_channel",
            "backup_ack_name",
            "erasure_by",
            "erasure_at",
            "inbound_carrier",
            "inbound_tracking",
            "outbound_carrier",
            "outbound_tracking",
            "events",
        ]
        read_only_fields = fields

    def get_events(self, repair: Repair) -> list[dict]:
        events = repair.events.all()
        if self.context["request"].user.is_customer_user:
            events = [event for event in events if event.is_public]
        return RepairEventSerializer(events, many=True).data


@extend_schema_view(
    list=extend_schema(summary="List return-to-factory repairs", description="Newest first; cursor pages."),
    retrieve=extend_schema(
        summary="Get a repair by id or RMA number",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, description="id or number")],
    ),
)
class RepairViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    lookup_key = "number"

    def get_queryset(self):
        repairs = repairs_visible_to(self.request.user).select_related(
            "ticket", "customer", "unit", "replacement_unit"
        )
        if self.action == "retrieve":
            repairs = repairs.prefetch_related("events")
        return repairs

    def get_serializer_class(self):
        return RepairSerializer if self.action == "list" else RepairDetailSerializer
