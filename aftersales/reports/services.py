"""Year-end reports: generate and archive the PDF, tell the recipients, and the automatic run.

* ``generate_year_end_report`` renders one customer's report for any period in one language
  and archives it (``reports.models.YearEndReport``). On demand it adds a new version; the
  automatic run's report is unique per customer, period and language, so a second worker (or
  a second run) gets the archived one back instead of a duplicate.
* ``send_year_end_report`` queues one e-mail per recipient in the outbox (the customer's
  contacts marked as report recipients, with their department, and the account manager), with
  a link to the PDF in the portal (contacts) or the console (the account manager).
* ``run_year_end_reports`` is the automatic run: from the first working day of January (China
  calendar; a year without an official schedule falls back to Monday–Friday) until the end of
  January, every customer with activity in the past year gets its report in each language its
  recipients read, archived once and sent once. The Huey task runs it daily; ``aftersales
  report year-end-run`` runs it by hand.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.accounts.backends import PERMISSION_APP
from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability
from aftersales.core.business_time import WorkingDayCalendar, local_date
from aftersales.core.errors import Conflict, InvalidInput, NotPermitted
from aftersales.customers.models import Contact, Customer
from aftersales.customers.queries import customer_scope_for_user
from aftersales.notifications.services import queue_notice
from aftersales.reports import yearend
from aftersales.reports.models import LANGUAGES, YearEndReport
from aftersales.reports.yearend_pdf import render_year_end_pdf

logger = logging.getLogger(__name__)

LANGUAGE_CODES = tuple(code for code, _label in LANGUAGES)
DEFAULT_LANGUAGE = "zh-hans"
NOTICE_KIND = "year_end_report"


def may_generate_year_end_reports(user: User) -> bool:
    """Readers of reports, and account managers for their own customers."""
    return user.is_authenticated and (
        user.has_perm(f"{PERMISSION_APP}.{Capability.VIEW_REPORTS}")
        or user.has_perm(f"{PERMISSION_APP}.{Capability.VIEW_OWN_CUSTOMERS}")
    )


def first_working_day_of_january(year: int, *, calendar: WorkingDayCalendar | None = None) -> date:
    calendar = calendar or WorkingDayCalendar.load()
    day = date(year, 1, 1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def _check(customer: Customer, start: date, end: date, language: str, by: User | None) -> None:
    if language not in LANGUAGE_CODES:
        raise InvalidInput(_("Choose Simplified Chinese or English."))
    try:
        yearend.check_period(start, end)
    except ValueError:
        raise InvalidInput(
            _("The period must end on or after its start and last at most three years.")
        ) from None
    if by is not None:
        if not may_generate_year_end_reports(by):
            raise NotPermitted(_("Year-end reports are for report readers and account managers."))
        if not customer_scope_for_user(by).filter(pk=customer.pk).exists():
            raise NotPermitted(_("You do not look after this customer."))


def _summary(figures: yearend.YearEndFigures) -> dict:
    headline = asdict(figures.headline)
    headline.pop("by_milestone")
    headline["tickets_by_kind"] = [list(pair) for pair in headline["tickets_by_kind"]]
    headline["satisfaction_counts"] = list(headline["satisfaction_counts"])
    return headline


def _automatic_report(customer: Customer, start: date, end: date, language: str) -> YearEndReport | None:
    return YearEndReport.objects.filter(
        customer=customer, period_start=start, period_end=end, language=language, is_automatic=True
    ).first()


def generate_year_end_report(
    *,
    customer: Customer,
    start: date,
    end: date,
    language: str = DEFAULT_LANGUAGE,
    include_branches: bool | None = None,
    by: User | None = None,
    automatic: bool = False,
    now: datetime | None = None,
) -> YearEndReport:
    """Render and archive ``customer``'s report for ``start``…``end`` in ``language``.

    ``by`` is the person asking (None: the automatic run or the command line). On demand a
    new version is archived each time; ``automatic`` reports are one per customer, period and
    language — asking again returns the archived one.
    """
    now = now or timezone.now()
    _check(customer, start, end, language, by)
    if automatic:
        existing = _automatic_report(customer, start, end, language)
        if existing is not None:
            return existing
    with translation.override(language):  # the figures carry their labels in the report's language
        figures = yearend.year_end_figures(customer, start=start, end=end, include_branches=include_branches)
    data = render_year_end_pdf(figures, language=language, generated_at=now)
    report = YearEndReport(
        customer=customer,
        period_start=start,
        period_end=end,
        language=language,
        include_branches=figures.include_branches,
        is_automatic=automatic,
        generated_at=now,
        generated_by=by,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        summary=_summary(figures),
    )
    try:
        with transaction.atomic():
            latest = YearEndReport.objects.filter(
                customer=customer, period_start=start, period_end=end, language=language
            ).aggregate(latest=Max("version"))["latest"]
            report.version = (latest or 0) + 1
            name = f"{customer.code}-{start:%Y%m%d}-{end:%Y%m%d}-{language}.pdf"
            report.file.save(name, ContentFile(data), save=False)
            report.save()
    except IntegrityError:
        if report.file.name:
            report.file.storage.delete(report.file.name)
        if automatic:
            existing = _automatic_report(customer, start, end, language)
            if existing is not None:
                return existing
        raise Conflict(_("Someone generated the same report at the same moment; try again.")) from None
    except BaseException:
        if report.file.name:
            report.file.storage.delete(report.file.name)
        raise
    return report


def request_year_end_report(
    *,
    customer: Customer,
    start: date,
    end: date,
    language: str = DEFAULT_LANGUAGE,
    include_branches: bool | None = None,
    by: User,
) -> None:
    """Check a request from the console now, and generate the report on a worker.

    A report of a large customer-year takes WeasyPrint tens of seconds: too long for a web
    request. The checks (language, period, permission) run here so a mistake is answered at
    once; ``generate_year_end_report`` then runs as a Huey task and archives a new version.
    """
    _check(customer, start, end, language, by)
    from aftersales.reports.tasks import generate_year_end_report_task

    generate_year_end_report_task(
        customer_id=customer.pk,
        start=start.isoformat(),
        end=end.isoformat(),
        language=language,
        include_branches=include_branches,
        by_id=by.pk,
    )


# --- telling the recipients ----------------------------------------------------------------------


def report_recipients(customer: Customer) -> list[Contact]:
    """The customer's contacts marked as report recipients that have an e-mail address."""
    return list(
        Contact.objects.filter(customer=customer, receives_reports=True)
        .exclude(email="")
        .order_by("name", "id")
    )


def _site_url(path: str) -> str:
    return settings.AFTERSALES["SITE_URL"].rstrip("/") + path


def _notice_text(report: YearEndReport, *, name: str, department: str, link: str) -> tuple[str, str]:
    with translation.override(report.language):
        subject = _("Year-end service report %(period)s — %(customer)s") % {
            "period": report.period_label,
            "customer": report.customer.name,
        }
        greeting = (
            _("Dear %(name)s (%(department)s),") % {"name": name, "department": department}
            if department
            else _("Dear %(name)s,") % {"name": name}
        )
        body = "\n\n".join(
            [
                greeting,
                _(
                    "the service report of %(customer)s for %(period)s is ready: every request with "
                    "our promises kept or missed, the visits and inspections, the parts replaced and "
                    "the warranty and contract status of your units."
                )
                % {"customer": report.customer.name, "period": report.period_label},
                _("The report is attached as a PDF; it is also archived here: %(link)s") % {"link": link},
                settings.AFTERSALES["VENDOR_NAME"],
            ]
        )
    return subject, body


def _attachment_name(report: YearEndReport) -> str:
    """``year-end-<customer code>-<start>-<end>.pdf``: ASCII, whatever the customer is called."""
    return f"year-end-{report.customer.code}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.pdf"


def send_year_end_report(
    *, report: YearEndReport, tell_account_manager: bool = True, now: datetime | None = None
) -> YearEndReport:
    """Queue the e-mails of ``report`` (idempotent per report and recipient) and record who was told.

    Contacts marked as report recipients who read the report's language get the PDF attached
    and the portal link (a recipient need not have a portal login); the account manager (unless
    ``tell_account_manager`` is false: the automatic run tells them of one language's report
    only) gets the PDF and the console link.
    """
    now = now or timezone.now()
    portal_link = _site_url(reverse("portal:yearend_download", kwargs={"yearend_report_id": report.pk}))
    desk_link = _site_url(reverse("reports:yearend_download", kwargs={"report_id": report.pk}))
    attachments = [{"path": report.file.name, "name": _attachment_name(report), "type": "application/pdf"}]
    with transaction.atomic():
        report = (
            YearEndReport.objects.select_for_update(of=("self",))
            .select_related("customer__account_manager")
            .get(pk=report.pk)
        )
        told = list(report.recipients)
        seen = {entry.get("address") for entry in told}
        for contact in report_recipients(report.customer):
            if contact.language != report.language or contact.email in seen:
                continue
            subject, body = _notice_text(
                report, name=contact.name, department=contact.department, link=portal_link
            )
            queue_notice(
                kind=NOTICE_KIND,
                subject=subject,
                body=body,
                recipient=contact.user,
                address=contact.email,
                language=report.language,
                reference=f"year-end-{report.pk}",
                dedupe_key=f"year-end:{report.pk}:{contact.email.lower()}",
                attachments=attachments,
                now=now,
            )
            seen.add(contact.email)
            told.append(
                {
                    "name": contact.name,
                    "department": contact.department,
                    "address": contact.email,
                    "role": "contact",
                }
            )
        manager = report.customer.account_manager
        if tell_account_manager and manager is not None and manager.email and manager.email not in seen:
            subject, body = _notice_text(
                report, name=manager.get_full_name() or manager.username, department="", link=desk_link
            )
            queue_notice(
                kind=NOTICE_KIND,
                subject=subject,
                body=body,
                recipient=manager,
                address=manager.email,
                language=report.language,
                reference=f"year-end-{report.pk}",
                dedupe_key=f"year-end:{report.pk}:{manager.email.lower()}",
                attachments=attachments,
                now=now,
            )
            told.append(
                {
                    "name": manager.get_full_name() or manager.username,
                    "department": _("Account manager"),
                    "address": manager.email,
                    "role": "account_manager",
                }
            )
        report.recipients = told
        if report.sent_at is None and told:
            report.sent_at = now
        report.save(update_fields=["recipients", "sent_at"])
    return report


# --- the automatic run -------------------------------------------------------------------------


def _languages_for(customer: Customer) -> list[str]:
    """The languages the customer's report recipients read (Chinese when nobody is marked)."""
    languages = {contact.language for contact in report_recipients(customer)} & set(LANGUAGE_CODES)
    return sorted(languages, key=LANGUAGE_CODES.index) or [DEFAULT_LANGUAGE]


def year_to_report(today: date, *, calendar: WorkingDayCalendar | None = None) -> int | None:
    """The past year when ``today`` is in January on or after its first working day, else None."""
    if today.month != 1 or today < first_working_day_of_january(today.year, calendar=calendar):
        return None
    return today.year - 1


def run_year_end_reports(
    *, now: datetime | None = None, year: int | None = None, customer: Customer | None = None
) -> list[YearEndReport]:
    """Archive and send the past year's report of every customer with activity; idempotent.

    Without ``year`` it does something only in January from the first working day on (a
    worker that was down that day catches up on a later January day). Returns the reports
    of this run (archived now or earlier); a customer whose report fails is logged and the
    others still get theirs.
    """
    now = now or timezone.now()
    if year is None:
        year = year_to_report(local_date(now))
        if year is None:
            return []
    start, end = yearend.year_bounds(year)
    customers = [customer] if customer is not None else list(yearend.customers_with_activity(start, end))
    reports = []
    for organisation in customers:
        languages = _languages_for(organisation)
        manager = organisation.account_manager
        manager_language = manager.language if manager and manager.language in languages else languages[0]
        for language in languages:
            try:
                report = generate_year_end_report(
                    customer=organisation, start=start, end=end, language=language, automatic=True, now=now
                )
                if report.sent_at is None:
                    report = send_year_end_report(
                        report=report, tell_account_manager=language == manager_language, now=now
                    )
            except Exception:
                logger.exception(
                    "year-end report of %s (%s) for %s failed", organisation.code, language, year
                )
                continue
            reports.append(report)
    return reports
