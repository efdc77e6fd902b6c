"""The fees API: the fee schedule in force and quotes (read), scoped to the caller.

Customer users see the quotes issued to their organisation (a head office also its branches'),
never drafts; staff see the quotes of the customers they may see. Another organisation's quote
is a 404.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.api.errors import error_body
from aftersales.api.permissions import IsActiveUser
from aftersales.api.serializers import CustomerBriefSerializer, OutputSerializer
from aftersales.api.views import ScopedViewSet
from aftersales.core.business_time import local_date
from aftersales.fees import queries
from aftersales.fees.models import FeeItem, FeeSchedule, Quote, QuoteLine, QuoteStatus
from aftersales.fees.services import schedule_in_force


class FeeItemSerializer(OutputSerializer):
    net_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = FeeItem
        fields = ["code", "category", "name_en", "name_zh", "unit", "price", "vat_rate", "net_price"]
        read_only_fields = fields


class FeeScheduleSerializer(OutputSerializer):
    items = FeeItemSerializer(many=True, read_only=True)

    class Meta:
        model = FeeSchedule
        fields = ["id", "name", "effective_from", "note", "items"]
        read_only_fields = fields


class QuoteLineSerializer(OutputSerializer):
    class Meta:
        model = QuoteLine
        fields = [
            "position",
            "code",
            "name_en",
            "name_zh",
            "description",
            "unit",
            "quantity",
            "unit_price",
            "discount_percent",
            "vat_rate",
            "amount",
        ]
        read_only_fields = fields


class QuoteSerializer(OutputSerializer):
    # Plain text in the schema: an enum named after "status" would collide with the tickets' one.
    status = serializers.CharField(read_only=True, help_text="One of: " + ", ".join(QuoteStatus.values))
    customer = CustomerBriefSerializer(read_only=True)
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    lines = QuoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "customer",
            "ticket",
            "subject_type",
            "subject_id",
            "status",
            "issued_at",
            "decided_at",
            "decision_channel",
            "completed_at",
            "total",
            "lines",
        ]
        read_only_fields = fields


_ON = OpenApiParameter(
    "on", str, OpenApiParameter.QUERY, description="The day (default: today, Asia/Shanghai)."
)


class FeeScheduleView(APIView):
    """The published fee schedule in force on a day (prices CNY incl. VAT)."""

    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="The fee schedule in force",
        parameters=[_ON],
        responses={
            200: FeeScheduleSerializer,
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="No schedule is in force on that day."),
        },
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("on")
        day = local_date(timezone.now())
        if raw:
            try:
                day = parse_date(raw)
            except ValueError:
                day = None
            if day is None:
                raise ValidationError({"on": [gettext("Give the day as YYYY-MM-DD.")]})
        schedule = schedule_in_force(day)
        if schedule is None:
            return Response(error_body("not_found", gettext("No fee schedule is in force.")), status=404)
        schedule = FeeSchedule.objects.prefetch_related("items").get(pk=schedule.pk)
        return Response(FeeScheduleSerializer(schedule).data)


@extend_schema_view(
    list=extend_schema(summary="List quotes", description="Newest first; cursor pages."),
    retrieve=extend_schema(
        summary="Get a quote by id or number",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, description="id or number")],
    ),
)
class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Quotes the caller may see, with their lines (prices as locked at issue)."""

    serializer_class = QuoteSerializer
    lookup_key = "number"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Quote.objects.none()
        user = self.request.user
        quotes = queries.portal_quotes(user) if user.is_customer_user else queries.quotes_visible_to(user)
        status = self.request.query_params.get("status")
        if status:
            quotes = quotes.filter(status=status)
        return quotes.select_related("customer", "ticket").prefetch_related("lines")
