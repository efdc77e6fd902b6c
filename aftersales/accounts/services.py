"""Changes to the service organisation: the on-call roster (值班表)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.models import OnCallShift, ServiceCentre, User
from aftersales.accounts.queries import find_overlapping_shift
from aftersales.accounts.roles import Capability, Role
from aftersales.core.errors import InvalidInput, NotPermitted


def add_shift(
    *,
    centre: ServiceCentre,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
    actor: User | None = None,
) -> OnCallShift:
    """Put someone on duty at a centre for a span of time.

    Night warnings and escalations go to whoever is on duty, so a shift must
    belong to an active member of staff, and one person cannot hold two
    overlapping shifts (at one centre or two): that would hide a gap in the
    roster. A centre lead edits only the roster of their own centre. The
    person's row is locked so two overlapping shifts added at once cannot both
    pass the check.
    """
    if actor is not None:
        if not actor.has_perm(f"aftersales.{Capability.MANAGE_ROSTER}"):
            raise NotPermitted(_("You may not edit the on-call roster."))
        if actor.role == Role.LEAD and actor.centre_id != centre.pk:
            raise NotPermitted(_("A centre lead edits only the roster of their own centre."))
    if ends_at <= starts_at:
        raise InvalidInput(_("A shift must end after it starts."))
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=user.pk)
        if not person.is_active or not person.is_vendor_staff:
            raise InvalidInput(_("Only active vendor staff can be put on duty."))
        clash = find_overlapping_shift(user=person, starts_at=starts_at, ends_at=ends_at)
        if clash is not None:
            raise InvalidInput(
                _("%(user)s is already on duty from %(start)s to %(end)s at %(centre)s.")
                % {
                    "user": person,
                    "start": f"{timezone.localtime(clash.starts_at):%Y-%m-%d %H:%M}",
                    "end": f"{timezone.localtime(clash.ends_at):%Y-%m-%d %H:%M}",
                    "centre": clash.centre,
                },
                code="shift_overlap",
            )
        return OnCallShift.objects.create(
            centre=centre, user=person, starts_at=starts_at, ends_at=ends_at, note=note.strip()
        )


def remove_shift(
    *, shift: OnCallShift, actor: User | None = None, now: datetime | None = None
) -> OnCallShift:
    """Take a shift that has not started yet off the roster.

    A shift that has started is a record of who was on duty when warnings and
    escalations went out, so it stays. A centre lead edits only the roster of
    their own centre. Returns the removed shift (no longer saved).
    """
    now = now or timezone.now()
    if actor is not None:
        if not actor.has_perm(f"aftersales.{Capability.MANAGE_ROSTER}"):
            raise NotPermitted(_("You may not edit the on-call roster."))
        if actor.role == Role.LEAD and actor.centre_id != shift.centre_id:
            raise NotPermitted(_("A centre lead edits only the roster of their own centre."))
    with transaction.atomic():
        current = OnCallShift.objects.select_for_update().filter(pk=shift.pk).first()
        if current is None:
            raise InvalidInput(_("This shift is no longer on the roster."))
        if current.starts_at <= now:
            raise InvalidInput(_("A shift that has started stays on the roster as a record."))
        current.delete()
    return shift
