"""API of the releases area: releases with their packages (staff), and the packages a unit is offered.

``GET /api/v1/releases/`` and ``/releases/<id>/`` are for vendor staff (a
release is the vendor's record, not a customer's). ``GET
/api/v1/units/<serial or id>/packages/`` answers for any unit the caller may
see: a customer user gets exactly the packages offered to the unit, staff
every package of the unit's model with whether it is offered and why not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from aftersales.api import queries as api_queries
from aftersales.api.pagination import IdCursorPagination
from aftersales.api.permissions import IsActiveUser, IsVendorStaff
from aftersales.api.views import ScopedViewSet
from aftersales.core.business_time import local_date
from aftersales.releases import queries
from aftersales.releases.models import Release, ReleasePackage
from aftersales.units.models import Unit


class PackageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReleasePackage
        fields = ["id", "original_name", "size", "sha256", "required_feature"]
        read_only_fields = fields


class ReleaseSerializer(serializers.ModelSerializer):
    product_model = serializers.SlugRelatedField(slug_field="code", read_only=True)
    packages = PackageSerializer(many=True, read_only=True)

    class Meta:
        model = Release
        fields = [
            "id",
            "product_model",
            "version",
            "kind",
            "released_on",
            "applies_to",
            "is_published",
            "published_at",
            "notes",
            "packages",
        ]
        read_only_fields = fields


class PackageOfferSerializer(serializers.Serializer):
    package = PackageSerializer()
    release = serializers.CharField(source="release.version")
    kind = serializers.CharField(source="release.kind")
    is_offered = serializers.BooleanField()
    reason = serializers.CharField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, offer) -> str:
        if not offer.is_offered:
            return ""
        return f"/portal/downloads/{offer.unit.serial}/{offer.package.pk}/"


@extend_schema_view(
    list=extend_schema(summary="List software releases (staff)"),
    retrieve=extend_schema(summary="Get a software release (staff)"),
)
class ReleaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Every release with its packages and their SHA-256, newest first; vendor staff only."""

    permission_classes = [IsVendorStaff]
    serializer_class = ReleaseSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return Release.objects.select_related("product_model").prefetch_related("packages")


def _day(request: Request) -> date:
    raw = request.query_params.get("on")
    if not raw:
        return local_date(timezone.now())
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise ValidationError({"on": [gettext("Give the day as YYYY-MM-DD.")]})
    return day


@extend_schema(
    summary="The release packages a unit is offered",
    parameters=[
        OpenApiParameter("reference", str, OpenApiParameter.PATH, description="serial or id"),
        OpenApiParameter("on", date, OpenApiParameter.QUERY, description="The day (default: today)."),
    ],
    responses=PackageOfferSerializer(many=True),
)
class UnitPackagesView(generics.GenericAPIView):
    permission_classes = [IsActiveUser]
    serializer_class = PackageOfferSerializer
    pagination_class = None

    def get_queryset(self):
        return api_queries.api_units(self.request.user)

    def get(self, request: Request, reference: str) -> Response:
        try:
            unit = api_queries.find_by_reference(self.get_queryset(), reference, key="serial")
        except Unit.DoesNotExist:
            raise Http404(gettext("No such unit.")) from None
        offers = queries.unit_offers(unit, on=_day(request))
        if request.user.is_customer_user:
            offers = [offer for offer in offers if offer.is_offered]
        data: list[dict[str, Any]] = PackageOfferSerializer(offers, many=True).data
        return Response(data)
