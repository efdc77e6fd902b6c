"""Loans in the API: read-only, for vendor staff, scoped to the tickets each may see."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from aftersales.api.permissions import IsVendorStaff
from aftersales.api.views import ScopedViewSet
from aftersales.spares import queries
from aftersales.spares.models import Loan


class LoanSerializer(serializers.ModelSerializer):
    ticket = serializers.CharField(source="ticket.number", read_only=True)
    customer = serializers.CharField(source="customer.code", read_only=True)
    site = serializers.CharField(source="site.name", read_only=True, default=None)
    spare_unit = serializers.CharField(source="spare_unit.serial", read_only=True)
    spare_model = serializers.CharField(source="spare_unit.product_model.code", read_only=True)
    centre = serializers.CharField(source="spare_unit.centre.code", read_only=True)
    lent_by = serializers.CharField(source="lent_by.username", read_only=True)
    # Plain text, not an enum: another "status" choice set in the schema would collide by name.
    status = serializers.CharField(read_only=True, help_text="out, returned or cancelled")
    days = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "id",
            "number",
            "status",
            "ticket",
            "customer",
            "site",
            "spare_unit",
            "spare_model",
            "centre",
            "lent_by",
            "out_at",
            "expected_return_on",
            "is_substitute",
            "substitution_note",
            "is_chargeable",
            "days",
            "returned_at",
            "returned_condition",
            "erasure",
            "erased_by",
            "erased_at",
            "erasure_method",
            "chase_count",
        ]
        read_only_fields = fields

    def get_days(self, loan: Loan) -> int:
        """Days lent so far (every started 24 hours), the quantity of the fee item ``spare_day``."""
        return queries.loan_days(loan)


@extend_schema_view(
    list=extend_schema(summary="List loans of spare units", description="Newest first; cursor pages."),
    retrieve=extend_schema(
        summary="Get a loan by id or number",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, description="id or number")],
    ),
)
class LoanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Loans (LN-…) of the tickets the caller may see; vendor staff only."""

    permission_classes = [IsVendorStaff]
    serializer_class = LoanSerializer
    lookup_key = "number"

    def get_queryset(self):
        return queries.loans_visible_to(self.request.user).select_related(
            "ticket", "customer", "site", "spare_unit__product_model", "spare_unit__centre", "lent_by"
        )
