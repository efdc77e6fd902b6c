"""Reads about the service organisation: routing to a centre, who is on duty, who to tell.

Routing lives here (not in ``services``) because it changes nothing: the
ticket service calls ``route_ticket_centre`` and stores the answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef

from aftersales.accounts.models import OnCallShift, ServiceCentre, User, city_key
from aftersales.accounts.roles import Role

if TYPE_CHECKING:  # accounts sits beside customers in the layers: only the type is needed
    from aftersales.customers.models import Site


def route_ticket_centre(
    *, site: Site | None, product_line_id: int | None
) -> tuple[ServiceCentre | None, bool]:
    """The technical support centre a ticket goes to, and whether the site is covered.

    The product line decides who can fix it, the city who can be there fast.
    In order of preference, R&D never being a destination (it supports every
    centre):

    1. a centre that covers the site's city and supports the product line, one in
       the same city first — covered;
    2. a centre supporting the line elsewhere: those marked *serves uncovered
       sites* first, then by code — not covered, so the ticket gets the
       uncovered-site targets (its engineers must travel);
    3. when no centre supports the line at all, a centre covering the city (it can
       still go on site and call in R&D) — covered; else the first centre — not.

    ``covered`` therefore means "the centre the ticket goes to serves that city on
    site", which is what the on-site promises depend on. Without a product line
    (e.g. a complaint with no unit) every centre qualifies. One query.
    """
    centres = list(
        ServiceCentre.objects.filter(is_rnd=False)
        .annotate(
            supports_line=Exists(
                ServiceCentre.product_lines.through.objects.filter(
                    servicecentre_id=OuterRef("pk"), productline_id=product_line_id
                )
            )
        )
        .order_by("-serves_uncovered_sites", "code")
    )
    if product_line_id is None:
        for centre in centres:
            centre.supports_line = True
    covering: list[ServiceCentre] = []
    if site is not None:
        # sorted() is stable: within "same city" and "covers the city" the fallback order holds.
        covering = sorted(
            (centre for centre in centres if centre.covers_city(site.city)),
            key=lambda centre: city_key(centre.city) != city_key(site.city),
        )
    for centre in covering:
        if centre.supports_line:
            return centre, True
    for centre in centres:
        if centre.supports_line:
            return centre, False
    if covering:
        return covering[0], True
    return (centres[0] if centres else None), False


def find_overlapping_shift(
    *, user: User, starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None
) -> OnCallShift | None:
    """A shift of the same person that overlaps the span, at any centre (one person, one duty)."""
    shifts = OnCallShift.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_pk is not None:
        shifts = shifts.exclude(pk=exclude_pk)
    return shifts.select_related("centre").order_by("starts_at").first()


def on_duty(*, centre: ServiceCentre, at: datetime) -> list[User]:
    """Active people whose shift at the centre spans ``at`` (start included, end excluded)."""
    return list(
        User.objects.filter(
            is_active=True, shifts__centre=centre, shifts__starts_at__lte=at, shifts__ends_at__gt=at
        )
        .distinct()
        .order_by("username")
    )


def on_duty_next(*, centre: ServiceCentre, at: datetime) -> list[OnCallShift]:
    """The shifts at the centre that start next after ``at`` (several when they start together).

    Shifts rather than users, so the roster page can say from when.
    """
    upcoming = OnCallShift.objects.filter(centre=centre, starts_at__gt=at, user__is_active=True)
    first = upcoming.order_by("starts_at").values_list("starts_at", flat=True).first()
    if first is None:
        return []
    return list(upcoming.filter(starts_at=first).select_related("user").order_by("user__username"))


def centre_leads(centre: ServiceCentre) -> list[User]:
    """The active leads of a centre: they receive its clock warnings."""
    return list(User.objects.filter(is_active=True, role=Role.LEAD, centre=centre).order_by("username"))


def managers() -> list[User]:
    """Active customer-support managers: escalations at breach and complaints go to them."""
    return list(User.objects.filter(is_active=True, role=Role.MANAGER).order_by("username"))


def leaders() -> list[User]:
    """Active leadership: the top of the escalation chain."""
    return list(User.objects.filter(is_active=True, role=Role.LEADER).order_by("username"))
