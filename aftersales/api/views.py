"""The API's endpoints: parse, call one service or query, respond.

Every object is fetched through the caller's scope before anything else is
looked at, so another customer's ticket is a 404 whatever the method or body.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.api import queries, serializers
from aftersales.api.errors import error_body
from aftersales.api.filters import ContactFilter, TicketFilter, UnitFilter
from aftersales.api.pagination import IdCursorPagination, TicketCursorPagination
from aftersales.api.parsers import StrictJSONParser
from aftersales.api.permissions import IsActiveUser, IsVendorStaff
from aftersales.api.ticket_changes import change_ticket, move_ticket
from aftersales.core.business_time import local_date
from aftersales.core.errors import NotPermitted
from aftersales.tickets import services
from aftersales.tickets.models import Channel, Ticket


def _not_found(model_name: str) -> Http404:
    return Http404(gettext("No such %(thing)s.") % {"thing": model_name})


class ScopedViewSet(viewsets.GenericViewSet):
    """A read API over one queryset scoped to the caller; ``lookup_key`` finds by business key or id."""

    permission_classes = [IsActiveUser]
    pagination_class = IdCursorPagination
    lookup_url_kwarg = "reference"
    lookup_value_regex = "[^/]+"
    lookup_key = "pk"

    def get_object(self) -> Any:
        reference = self.kwargs[self.lookup_url_kwarg]
        try:
            found = queries.find_by_reference(self.get_queryset(), reference, key=self.lookup_key)
        except self.get_queryset().model.DoesNotExist as exc:
            raise _not_found(self.get_queryset().model._meta.verbose_name) from exc
        self.check_object_permissions(self.request, found)
        return found


@extend_schema_view(
    list=extend_schema(summary="List tickets", description="Newest first by default; cursor pages."),
    retrieve=extend_schema(
        summary="Get a ticket by id or number",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, description="id or number")],
    ),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Tickets the caller may see (``tickets_visible_to``): report, follow, reply, move."""

    filterset_class = TicketFilter
    pagination_class = TicketCursorPagination
    lookup_key = "number"

    def get_queryset(self):
        return queries.api_tickets(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.TicketSerializer
        return serializers.TicketDetailSerializer

    def _detail(
        self, ticket: Ticket, status_code: int = status.HTTP_200_OK, *, reload: bool = True
    ) -> Response:
        """The ticket after a change; reloaded with its relations, which a service's refresh drops."""
        if reload:
            ticket = queries.api_tickets(self.request.user).get(pk=ticket.pk)
        data = serializers.TicketDetailSerializer(ticket, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    @extend_schema(
        summary="Report a fault or open a service request",
        request=serializers.TicketCreateSerializer,
        responses={201: serializers.TicketDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        payload = serializers.TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        user = request.user
        unit = fields.pop("unit", None)
        if user.is_customer_user:
            contact = getattr(user, "contact", None)
            if contact is None:
                raise NotPermitted(gettext("Your login is not linked to a customer contact."))
            customer = unit.customer if unit is not None else contact.customer
            fields.update(reporter=contact, channel=Channel.API)
        else:
            customer = fields.pop("customer", None) or (unit.customer if unit is not None else None)
            if customer is None:
                raise ValidationError({"customer": [gettext("Name the customer, or the unit it concerns.")]})
        ticket = services.open_ticket(by=user, customer=customer, unit=unit, **fields)
        # Intake hands back the ticket with every related object it was built from: no reload.
        return self._detail(ticket, status.HTTP_201_CREATED, reload=False)

    @extend_schema(
        summary="Correct a ticket (staff)",
        request=serializers.TicketUpdateSerializer,
        responses={200: serializers.TicketDetailSerializer},
    )
    def partial_update(self, request: Request, reference: str) -> Response:
        ticket = self.get_object()
        payload = serializers.TicketUpdateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        if not request.user.is_vendor_staff:
            raise NotPermitted(gettext("Only vendor staff may correct a ticket."))
        changes = dict(payload.validated_data)
        version = changes.pop("version")
        change_ticket(ticket=ticket, by=request.user, version=version, changes=changes)
        return self._detail(ticket)

    @extend_schema(
        summary="Reply on a ticket (staff: or add an internal note)",
        request=serializers.ReplySerializer,
        responses={201: serializers.TicketDetailSerializer},
    )
    @action(
        detail=True, methods=["post"], url_path="replies", parser_classes=[StrictJSONParser, MultiPartParser]
    )
    def replies(self, request: Request, reference: str) -> Response:
        ticket = self.get_object()
        payload = serializers.ReplySerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        body = payload.validated_data["body"]
        version = payload.validated_data.get("version")
        user = request.user
        if user.is_customer_user:
            services.add_customer_message(
                ticket=ticket,
                by=user,
                body=body,
                channel=Channel.API,
                attachments=payload.validated_data.get("attachments", ()),
            )
        elif payload.validated_data["internal"]:
            services.add_internal_note(ticket=ticket, by=user, body=body, expected_version=version)
        else:
            services.reply_to_customer(ticket=ticket, by=user, body=body, expected_version=version)
        return self._detail(ticket, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move a ticket through its workflow",
        description=(
            "`move` is one of the ticket's `allowed_moves`; `version` the ticket version you read. "
            "A stale version or a move the workflow refuses is a 409 with the reason."
        ),
        request=serializers.TransitionSerializer,
        responses={200: serializers.TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="transitions")
    def transitions(self, request: Request, reference: str) -> Response:
        ticket = self.get_object()
        payload = serializers.TransitionSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        inputs = dict(payload.validated_data)
        move = inputs.pop("move")
        version = inputs.pop("version")
        move_ticket(ticket=ticket, by=request.user, move=move, version=version, inputs=inputs)
        return self._detail(ticket)


def _entitlement_day(request: Request) -> date:
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


_ON_PARAMETER = OpenApiParameter(
    "on", date, OpenApiParameter.QUERY, description="The day of the entitlement verdict (default: today)."
)


@extend_schema_view(
    list=extend_schema(summary="List units with their entitlement", parameters=[_ON_PARAMETER]),
    retrieve=extend_schema(
        summary="Look a unit up by serial (or id), with its entitlement",
        parameters=[
            _ON_PARAMETER,
            OpenApiParameter("reference", str, OpenApiParameter.PATH, description="serial or id"),
        ],
    ),
)
class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The installed base the caller may see, each unit with its entitlement verdict."""

    serializer_class = serializers.UnitSerializer
    filterset_class = UnitFilter
    lookup_key = "serial"

    def get_queryset(self):
        return queries.api_units(self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        return {**context, "on": _entitlement_day(self.request)}


@extend_schema_view(
    list=extend_schema(summary="List customers"),
    retrieve=extend_schema(
        summary="Get a customer by id or code",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, description="id or code")],
    ),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Customers the caller may see: a customer user only its organisation (and its branches)."""

    serializer_class = serializers.CustomerSerializer
    lookup_key = "code"

    def get_queryset(self):
        return queries.api_customers(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List contacts"),
    retrieve=extend_schema(
        summary="Get a contact by id",
        parameters=[OpenApiParameter("reference", int, OpenApiParameter.PATH, description="id")],
    ),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Contacts of the customers the caller may see."""

    serializer_class = serializers.ContactSerializer
    filterset_class = ContactFilter

    def get_queryset(self):
        return queries.api_contacts(self.request.user)


@csrf_exempt
def unknown_endpoint(request: HttpRequest, path: str) -> JsonResponse:
    """Any other path under ``/api/v1/``: a JSON 404 (an integration cannot read Django's HTML page),
    saying so when only the trailing slash is missing (a redirect would turn a POST into a GET)."""
    message = gettext("There is no such API endpoint.")
    slashed = f"{request.path}/"
    if not request.path.endswith("/") and _resolves(slashed):
        message = gettext("There is no such API endpoint; did you mean %(path)s?") % {"path": slashed}
    return JsonResponse(error_body("not_found", message), status=404)


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


class CallView(APIView):
    """Screen pop for the PBX: who is calling, what they own, what is open, and where to take the call."""

    permission_classes = [IsVendorStaff]

    @extend_schema(
        summary="Screen pop: look up a caller",
        request=serializers.CallSerializer,
        responses={200: serializers.ScreenPopSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = serializers.CallSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        found = queries.screen_pop(
            request.user, payload.validated_data["caller"], on=local_date(timezone.now())
        )
        intake = reverse("desk:intake_phone") + "?" + urlencode({"number": found.number})
        data = serializers.ScreenPopSerializer(
            {
                "caller": found.caller,
                "number": found.number,
                "intake_url": request.build_absolute_uri(intake),
                "contacts": found.contacts,
                "customers": found.customers,
            },
            context={"request": request},
        ).data
        return Response(data)
