"""Services of inspections: plans, generated visits, reminders, checklists and their tickets.

**Occurrence dates.** A plan's occurrences are counted from its first occurrence
(``starts_on``): the k-th monthly, quarterly, half-yearly or yearly occurrence falls on the
same day of the month k·1, k·3, k·6 or k·12 months later (the month's last day when it is
shorter: 01-31 monthly → 02-28), every N weeks on ``starts_on`` + k·N weeks. Each date is
counted from the start, never from the previous (moved) one, so moves do not drift.

**Days off.** An occurrence on a day off (weekend, public holiday; China calendar with 调休 from
``core.business_time``) is due on the next working day; a make-up working Saturday or Sunday
(2026-09-20, 2026-10-10) *is* a working day and keeps its occurrence. The visit is planned at
09:00 local on that day and is due that day: the day after, an open visit is **overdue**.

**Generation is idempotent.** ``PlanOccurrence`` holds a unique key (plan, occurrence date,
site); a second run, or two workers at once, find the key taken and create nothing twice.
Occurrences are generated from ``LOOK_BACK_DAYS`` before today (a worker down for a day loses
nothing) to the plan's horizon.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.queries import centre_leads
from aftersales.core.business_time import WorkingDayCalendar, local_date, local_zone
from aftersales.core.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from aftersales.customers.models import Customer, Site
from aftersales.inspections.models import (
    FREQUENCY_MONTHS,
    ChecklistItem,
    ChecklistResult,
    ChecklistTemplate,
    Frequency,
    InspectionPlan,
    PlanOccurrence,
    VisitChecklist,
)
from aftersales.notifications.services import queue_notice
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Channel, Kind, Severity, Ticket
from aftersales.units.models import Contract, Unit
from aftersales.visits.models import Visit, VisitKind
from aftersales.visits.services import record_remote_contact, record_visit_event, schedule_visit

INSPECTION_KINDS = (VisitKind.INSPECTION, VisitKind.PERIODIC_CONTACT)
LOOK_BACK_DAYS = 7
PLANNED_HOUR = time(9, 0)
MAX_PHOTO_MB = 8
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_HORIZON_DAYS = 400
MAX_OCCURRENCES = 1000  # a weekly plan over the longest horizon stays far below this


def _moment(at: datetime | None) -> datetime:
    return at or timezone.now()


def _require(user: User | None, capability: str, action: str) -> None:
    if user is None or not user.is_active or not user.has_perm(f"aftersales.{capability}"):
        raise NotPermitted(gettext("Your role does not allow you to %(action)s.") % {"action": action})


# --- occurrence dates ------------------------------------------------------------------------


def _add_months(start: date, months: int) -> date:
    year, month_index = divmod(start.month - 1 + months, 12)
    year += start.year
    month = month_index + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def nominal_occurrences(plan: InspectionPlan, *, until: date) -> Iterable[date]:
    """The plan's occurrence dates from its start up to ``until`` (before moving off days off)."""
    last = min(until, plan.ends_on) if plan.ends_on else until
    for index in range(MAX_OCCURRENCES):
        if plan.frequency == Frequency.EVERY_N_WEEKS:
            day = plan.starts_on + timedelta(weeks=index * (plan.every_weeks or 1))
        else:
            day = _add_months(plan.starts_on, index * FREQUENCY_MONTHS[plan.frequency])
        if day > last:
            return
        yield day


def next_working_day(day: date, calendar: WorkingDayCalendar) -> date:
    """``day`` itself when it is a working day (make-up weekends included), else the next one."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def occurrence_schedule(
    plan: InspectionPlan, *, first: date, last: date, calendar: WorkingDayCalendar | None = None
) -> list[tuple[date, date]]:
    """(occurrence date, due working day) of every occurrence due from ``first`` to ``last``."""
    calendar = calendar or WorkingDayCalendar.load()
    schedule = []
    for nominal in nominal_occurrences(plan, until=last):
        due = next_working_day(nominal, calendar)
        if first <= due <= last:
            schedule.append((nominal, due))
    return schedule


# --- plans and templates ---------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateItem:
    section: str
    label: str


def save_checklist_template(
    *,
    by: User,
    name: str,
    items: Sequence[TemplateItem],
    template: ChecklistTemplate | None = None,
    note: str = "",
    is_active: bool = True,
) -> ChecklistTemplate:
    """Create or change a template. Items are replaced; results already recorded keep their copy."""
    _require(by, "plan_inspections", gettext("keep checklist templates"))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(gettext("A checklist template needs a name."))
    cleaned = []
    for item in items:
        label = (item.label or "").strip()
        if not label:
            continue
        if item.section not in ChecklistItem.Section.values:
            raise InvalidInput(gettext("Unknown checklist section: %(section)s.") % {"section": item.section})
        if len(label) > 300:
            raise InvalidInput(gettext("A checklist item is limited to 300 characters."))
        cleaned.append(TemplateItem(item.section, label))
    if not cleaned:
        raise InvalidInput(gettext("A checklist template needs at least one item."))
    with transaction.atomic():
        if template is None:
            template = ChecklistTemplate.objects.create(name=name, note=note.strip(), is_active=is_active)
        else:
            template.name, template.note, template.is_active = name, note.strip(), is_active
            template.save(update_fields=["name", "note", "is_active"])
            template.items.all().delete()
        ChecklistItem.objects.bulk_create(
            [
                ChecklistItem(template=template, section=item.section, label=item.label, position=index)
                for index, item in enumerate(cleaned)
            ]
        )
    return template


PLAN_FIELDS = (
    "name",
    "customer",
    "contract",
    "frequency",
    "every_weeks",
    "starts_on",
    "ends_on",
    "template",
    "engineer",
    "centre",
    "is_remote_contact",
    "horizon_days",
    "reminder_days",
    "is_active",
    "note",
)


def _check_plan(values: dict, sites: list[Site], units: list[Unit]) -> None:
    customer: Customer = values["customer"]
    if not (values.get("name") or "").strip():
        raise InvalidInput(gettext("A plan needs a name."))
    if values["frequency"] not in Frequency.values:
        raise InvalidInput(gettext("Unknown frequency."))
    if values["frequency"] == Frequency.EVERY_N_WEEKS:
        if not values.get("every_weeks") or not 1 <= values["every_weeks"] <= 104:
            raise InvalidInput(gettext("Say every how many weeks (1 to 104)."))
    else:
        values["every_weeks"] = None
    if values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        raise InvalidInput(gettext("A plan must end on or after its first occurrence."))
    if not 1 <= values.get("horizon_days", 60) <= MAX_HORIZON_DAYS:
        raise InvalidInput(
            gettext("Generate between 1 and %(days)s days ahead.") % {"days": MAX_HORIZON_DAYS}
        )
    if not 0 <= values.get("reminder_days", 3) <= 60:
        raise InvalidInput(gettext("Remind between 0 and 60 days before."))
    contract: Contract | None = values.get("contract")
    if contract is not None and contract.customer_id != customer.pk:
        raise InvalidInput(gettext("The contract belongs to another customer."))
    if any(site.customer_id != customer.pk for site in sites):
        raise InvalidInput(gettext("The site belongs to another customer."))
    if any(unit.customer_id != customer.pk for unit in units):
        raise InvalidInput(gettext("A unit belongs to another customer."))
    engineer: User | None = values.get("engineer")
    if engineer is not None and not engineer.has_perm("aftersales.work_visit"):
        raise InvalidInput(gettext("The responsible engineer must be someone who does visits."))
    if engineer is None and values.get("centre") is None:
        raise InvalidInput(gettext("Name the responsible engineer or service centre."))


def save_inspection_plan(
    *,
    by: User,
    values: dict,
    sites: Iterable[Site] = (),
    units: Iterable[Unit] = (),
    plan: InspectionPlan | None = None,
    at: datetime | None = None,
) -> InspectionPlan:
    """Create or change a plan. Visits already generated stay as they are; later ones follow."""
    _require(by, "plan_inspections", gettext("keep inspection plans"))
    sites, units = list(sites), list(units)
    values = {key: values.get(key) for key in PLAN_FIELDS if key in values}
    values.setdefault("horizon_days", 60)
    values.setdefault("reminder_days", 3)
    values.setdefault("is_active", True)
    values["name"] = (values.get("name") or "").strip()
    values["note"] = (values.get("note") or "").strip()
    _check_plan(values, sites, units)
    with transaction.atomic():
        if plan is None:
            plan = InspectionPlan.objects.create(**values)
        else:
            for key, value in values.items():
                setattr(plan, key, value)
            plan.save()
        plan.sites.set(sites)
        plan.units.set(units)
    return plan


# --- generating visits -----------------------------------------------------------------------


def _purpose(plan: InspectionPlan, due: date) -> str:
    if plan.is_remote_contact:
        return gettext("Periodic contact (%(plan)s), due %(day)s") % {"plan": plan.name, "day": due}
    return gettext("Inspection (%(plan)s), due %(day)s") % {"plan": plan.name, "day": due}


def _targets(plan: InspectionPlan) -> list[tuple[Site | None, list[Unit]]]:
    """One visit per named site with its units; a plan without sites makes one visit for all units."""
    units = list(plan.units.all())
    sites = list(plan.sites.all())
    if not sites:
        return [(None, units)]
    return [(site, [unit for unit in units if unit.site_id == site.pk]) for site in sites]


def _generate_one(
    plan: InspectionPlan, site: Site | None, units: list[Unit], nominal: date, due: date, now: datetime
) -> Visit | None:
    """One occurrence's visit, or None when another run already made it."""
    try:
        with transaction.atomic():
            visit = schedule_visit(
                customer=plan.customer,
                kind=VisitKind.PERIODIC_CONTACT if plan.is_remote_contact else VisitKind.INSPECTION,
                planned_start=datetime.combine(due, PLANNED_HOUR, tzinfo=local_zone()),
                purpose=_purpose(plan, due),
                by=None,
                site=site,
                units=units,
                centre=plan.centre or (plan.engineer.centre if plan.engineer else None),
                engineers=[plan.engineer] if plan.engineer else [],
                due_on=due,
                at=now,
            )
            PlanOccurrence.objects.create(
                plan=plan, site=site, occurs_on=nominal, visit=visit, created_at=now
            )
            VisitChecklist.objects.create(visit=visit, template=plan.template, started_at=now)
            _copy_items(visit, plan.template)
            record_visit_event(
                visit,
                "generated",
                at=now,
                by=None,
                text=gettext("Generated from inspection plan %(plan)s.") % {"plan": plan.name},
                data={"plan": plan.pk, "occurs_on": nominal.isoformat()},
            )
    except IntegrityError:
        return None
    return visit


def generate_inspection_visits(
    *,
    now: datetime | None = None,
    horizon_days: int | None = None,
    plans: Iterable[InspectionPlan] | None = None,
) -> list[Visit]:
    """Create the visits of every active plan due up to its horizon; returns the new ones.

    ``horizon_days`` overrides each plan's own horizon (a command run by hand). Idempotent.
    """
    now = _moment(now)
    today = local_date(now)
    calendar = WorkingDayCalendar.load()
    if plans is None:
        plans = InspectionPlan.objects.filter(is_active=True).select_related(
            "customer", "template", "engineer", "centre"
        )
    created = []
    for plan in plans:
        horizon = horizon_days if horizon_days is not None else plan.horizon_days
        schedule = occurrence_schedule(
            plan,
            first=today - timedelta(days=LOOK_BACK_DAYS),
            last=today + timedelta(days=horizon),
            calendar=calendar,
        )
        if not schedule:
            continue
        taken = set(
            PlanOccurrence.objects.filter(plan=plan, occurs_on__in=[n for n, _ in schedule]).values_list(
                "occurs_on", "site_id"
            )
        )
        targets = _targets(plan)
        for nominal, due in schedule:
            for site, units in targets:
                if (nominal, site.pk if site else None) in taken:
                    continue
                visit = _generate_one(plan, site, units, nominal, due, now)
                if visit is not None:
                    created.append(visit)
    return created


# --- reminders and overdue notices -----------------------------------------------------------


def _responsible(visit: Visit, plan: InspectionPlan | None) -> list[User]:
    """The engineers on the visit (or the plan's), else the centre's leads; and the account manager."""
    people = [slot.engineer for slot in visit.crew.all() if slot.engineer.is_active]
    if not people and plan is not None and plan.engineer and plan.engineer.is_active:
        people = [plan.engineer]
    centre: ServiceCentre | None = visit.centre or (plan.centre if plan else None)
    if not people and centre is not None:
        people = centre_leads(centre)
    manager = visit.customer.account_manager
    if manager is not None and manager.is_active:
        people.append(manager)
    return list(dict.fromkeys(people))


def _notify(visit: Visit, people: list[User], *, what: str, key: str, now: datetime) -> None:
    for person in people:
        language = person.language or settings.LANGUAGE_CODE
        with translation.override(language):
            context = {"visit": visit, "what": what, "person": person}
            subject = render_to_string("inspections/notice_subject.txt", context).strip()
            body = render_to_string("inspections/notice_body.txt", context)
        queue_notice(
            kind=f"inspection_{what}",
            recipient=person,
            subject=subject,
            body=body,
            language=language,
            reference=visit.number,
            dedupe_key=f"inspection:{visit.pk}:{key}:{person.pk}",
            now=now,
        )


def send_inspection_reminders(*, now: datetime | None = None) -> int:
    """Remind of visits due in the plan's reminder days (once ahead, once on the day) and tell
    of overdue ones once. Every notice has a dedupe key per visit, reminder and person:
    running this twice sends nothing twice. Returns how many visits were looked at."""
    now = _moment(now)
    today = local_date(now)
    visits = (
        Visit.objects.filter(
            kind__in=INSPECTION_KINDS, due_on__isnull=False, due_on__lte=today + timedelta(days=60)
        )
        .exclude(status__in=(Visit.Status.COMPLETED, Visit.Status.CANCELLED))
        .exclude(checklist__completed_at__isnull=False)
        .select_related("customer__account_manager", "centre", "plan_occurrence__plan__engineer")
        .prefetch_related("crew__engineer")
    )
    looked_at = 0
    with transaction.atomic():
        for visit in visits:
            occurrence = getattr(visit, "plan_occurrence", None)
            plan = occurrence.plan if occurrence else None
            ahead = plan.reminder_days if plan else 3
            due: date = visit.due_on
            if due < today:
                _notify(visit, _responsible(visit, plan), what="overdue", key="overdue", now=now)
            elif due == today:
                _notify(visit, _responsible(visit, plan), what="today", key=f"today:{due}", now=now)
            elif ahead and due - timedelta(days=ahead) <= today:
                _notify(visit, _responsible(visit, plan), what="ahead", key=f"ahead:{due}", now=now)
            else:
                continue
            looked_at += 1
    return looked_at


# --- checklists ------------------------------------------------------------------------------


def _copy_items(visit: Visit, template: ChecklistTemplate | None) -> None:
    if template is None:
        return
    ChecklistResult.objects.bulk_create(
        [
            ChecklistResult(
                visit=visit,
                item=item,
                section=item.section,
                label=item.label,
                position=item.position,
                outcome="",
            )
            for item in template.items.all()
        ]
    )


def may_work_checklist(visit: Visit, user: User) -> bool:
    """Planners and managers of inspections, or an engineer on the visit's crew."""
    if not user.is_active or not user.is_vendor_staff:
        return False
    if user.has_perm("aftersales.plan_inspections"):
        return True
    return user.has_perm("aftersales.work_visit") and visit.crew.filter(engineer=user).exists()


def _require_worker(visit: Visit, user: User) -> None:
    if not may_work_checklist(visit, user):
        raise NotPermitted(
            gettext("Only the visit's engineers and inspection planners fill in its checklist.")
        )


def start_checklist(
    *, visit: Visit, by: User, template: ChecklistTemplate | None = None, at: datetime | None = None
) -> VisitChecklist:
    """The visit's checklist, made from its plan's template (or ``template``) the first time."""
    at = _moment(at)
    if visit.kind not in INSPECTION_KINDS:
        raise InvalidInput(gettext("Only inspections and periodic contacts have a checklist."))
    existing = VisitChecklist.objects.filter(visit=visit).first()
    if existing is not None:
        return existing
    _require_worker(visit, by)
    occurrence = PlanOccurrence.objects.filter(visit=visit).select_related("plan__template").first()
    template = template or (occurrence.plan.template if occurrence else None)
    if template is None:
        raise InvalidInput(gettext("Choose the checklist template to use."))
    with transaction.atomic():
        checklist = VisitChecklist.objects.create(visit=visit, template=template, started_at=at)
        _copy_items(visit, template)
        record_visit_event(visit, "checklist_started", at=at, by=by, text=template.name)
    return checklist


@dataclass
class ResultEntry:
    """What the checklist form sent for one result."""

    result_id: int
    outcome: str = ""
    note: str = ""
    photo: UploadedFile | None = None
    remove_photo: bool = False


def max_photo_bytes() -> int:
    return MAX_PHOTO_MB * 1024 * 1024


def check_photo(photo: UploadedFile) -> None:
    """A real JPEG, PNG or WebP image within the size limit, or InvalidInput."""
    from PIL import Image, UnidentifiedImageError

    if photo.size > max_photo_bytes():
        raise InvalidInput(gettext("A photo is limited to %(mb)s MB.") % {"mb": MAX_PHOTO_MB})
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InvalidInput(gettext("“%(name)s” is not an image.") % {"name": photo.name}) from None
    finally:
        photo.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise InvalidInput(gettext("Photos must be JPEG, PNG or WebP images."))


def _claim(checklist: VisitChecklist, expected_version: int | None) -> None:
    query = VisitChecklist.objects.filter(pk=checklist.pk)
    if expected_version is not None:
        query = query.filter(version=expected_version)
    if not query.update(version=F("version") + 1):
        raise Conflict(
            gettext("Someone else saved this checklist meanwhile. Reload it and enter your changes again.")
        )
    checklist.version = (expected_version or checklist.version) + 1


def save_checklist(
    *,
    checklist: VisitChecklist,
    by: User,
    entries: Sequence[ResultEntry],
    expected_version: int | None = None,
    at: datetime | None = None,
) -> VisitChecklist:
    """Save results entered so far (partial progress is fine). Nothing is saved if one entry is bad."""
    at = _moment(at)
    visit = checklist.visit
    _require_worker(visit, by)
    if checklist.is_completed:
        raise InvalidTransition(gettext("The checklist is completed; it can no longer be changed."))
    results = {result.pk: result for result in visit.checklist_results.all()}
    for entry in entries:
        if entry.result_id not in results:
            raise InvalidInput(gettext("An item is not on this checklist."))
        if entry.outcome and entry.outcome not in ChecklistResult.Outcome.values:
            raise InvalidInput(gettext("Unknown result: %(outcome)s.") % {"outcome": entry.outcome})
        if entry.photo is not None:
            check_photo(entry.photo)
    with transaction.atomic():
        _claim(checklist, expected_version)
        changed = 0
        for entry in entries:
            result = results[entry.result_id]
            fields = []
            note = (entry.note or "").strip()
            if result.outcome != entry.outcome:
                result.outcome = entry.outcome
                fields.append("outcome")
            if result.note != note:
                result.note = note
                fields.append("note")
            if entry.photo is not None:
                result.photo.save(entry.photo.name, entry.photo, save=False)
                fields.append("photo")
            elif entry.remove_photo and result.photo:
                result.photo = ""
                fields.append("photo")
            if fields:
                result.save(update_fields=fields)
                changed += 1
        if changed:
            record_visit_event(
                visit,
                "checklist_saved",
                at=at,
                by=by,
                text=gettext("%(count)s checklist item(s) saved.") % {"count": changed},
            )
    return checklist


def open_ticket_from_result(
    *,
    result: ChecklistResult,
    by: User,
    severity: str = Severity.GENERAL,
    unit: Unit | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Open a fault ticket for a fault or attention result in one step, and link it both ways."""
    at = _moment(at)
    visit = result.visit
    _require_worker(visit, by)
    if result.outcome not in (ChecklistResult.Outcome.FAULT, ChecklistResult.Outcome.ATTENTION):
        raise InvalidInput(gettext("A ticket is opened for a fault or an item needing attention."))
    if result.ticket_id is not None:
        raise InvalidTransition(
            gettext("A ticket is already open for this item: %(number)s.") % {"number": result.ticket.number}
        )
    unit = unit or result.unit
    if unit is None:
        units = list(visit.units.all())
        if len(units) != 1:
            raise InvalidInput(gettext("Choose the unit the fault concerns."))
        unit = units[0]
    if unit.customer_id != visit.customer_id:
        raise InvalidInput(gettext("A unit belongs to another customer."))
    source = gettext("Found on %(kind)s %(visit)s: %(item)s") % {
        "kind": visit.get_kind_display(),
        "visit": visit.number,
        "item": result.label,
    }
    with transaction.atomic():
        ticket = ticket_services.open_ticket(
            by=None,
            kind=Kind.FAULT,
            channel=Channel.PHONE,
            customer=visit.customer,
            title=result.label[:200],
            description="\n\n".join(filter(None, [source, result.note])),
            severity=severity,
            unit=unit,
            site=visit.site or unit.site,
            onsite_contact=visit.onsite_contact,
            reporter_name=by.get_full_name() or by.username,
            centre=visit.centre,
            acknowledge=False,
            now=at,
        )
        ticket_services.add_system_note(
            ticket=ticket,
            body=gettext("Opened by %(who)s from the checklist of visit %(visit)s (%(item)s).")
            % {"who": by.get_full_name() or by.username, "visit": visit.number, "item": result.label},
            at=at,
            data={"visit": visit.number, "checklist_result": result.pk},
        )
        result.ticket = ticket
        result.unit = unit
        result.save(update_fields=["ticket", "unit"])
        record_visit_event(
            visit,
            "ticket_opened",
            at=at,
            by=by,
            text=gettext("Ticket %(number)s opened for %(item)s.")
            % {"number": ticket.number, "item": result.label},
            data={"ticket": ticket.number, "checklist_result": result.pk},
        )
    return ticket


def complete_checklist(
    *,
    checklist: VisitChecklist,
    by: User,
    summary: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> VisitChecklist:
    """Complete the checklist once every item has a result, and write the outcome on the timeline.

    A remote periodic contact has no arrival nor sign-off: completing its checklist completes the
    visit. An on-site inspection is completed by its service report (visits), not here.
    """
    at = _moment(at)
    visit = checklist.visit
    _require_worker(visit, by)
    if checklist.is_completed:
        raise InvalidTransition(gettext("The checklist is already completed."))
    if visit.status == Visit.Status.CANCELLED:
        raise InvalidTransition(gettext("The visit was cancelled."))
    results = list(visit.checklist_results.all())
    if any(not result.outcome for result in results):
        raise InvalidInput(gettext("Give every item a result before completing the checklist."))
    counts = {
        outcome: sum(r.outcome == outcome for r in results) for outcome in ChecklistResult.Outcome.values
    }
    with transaction.atomic():
        _claim(checklist, expected_version)
        checklist.completed_at = at
        checklist.completed_by = by
        checklist.summary = (summary or "").strip()
        checklist.save(update_fields=["completed_at", "completed_by", "summary"])
        record_visit_event(
            visit,
            "checklist_completed",
            at=at,
            by=by,
            text=gettext("Checklist completed: %(ok)s OK, %(attention)s need attention, %(fault)s faults.")
            % counts,
            data={**counts, "tickets": [r.ticket.number for r in results if r.ticket_id]},
        )
        if visit.kind == VisitKind.PERIODIC_CONTACT and visit.is_open:
            # A call has no trip: the contact's record completes it (visits keeps the move table).
            done = record_remote_contact(visit=visit, by=by, at=at)
            visit.status, visit.completed_at, visit.version = done.status, done.completed_at, done.version
    return checklist
