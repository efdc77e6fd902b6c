"""The roles of the service organisation and what each may do.

One table, mirrored in ``docs/roles.md``. ``RoleBackend`` turns it into Django
permissions named ``aftersales.<capability>`` so views, templates
(``perms.aftersales.resolve_ticket``) and the API check the same thing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SPECIALIST = "specialist", _("Customer-service specialist")
    ENGINEER = "engineer", _("Support engineer")
    RND = "rnd", _("R&D engineer")
    LEAD = "lead", _("Centre lead")
    MANAGER = "manager", _("Customer-support manager")
    ACCOUNT = "account", _("Account manager")
    LEADER = "leader", _("Leadership")
    ADMIN = "admin", _("Administrator")
    CUSTOMER = "customer", _("Customer user")


class Capability(models.TextChoices):
    """Each thing a person may do; the permission is ``aftersales.<value>``."""

    VIEW_ALL_TICKETS = "view_all_tickets", _("See every ticket")
    VIEW_CENTRE_TICKETS = "view_centre_tickets", _("See the tickets routed to one's centre")
    VIEW_OWN_CUSTOMERS = "view_own_customers", _("See the tickets of one's own customers")
    TAKE_REPORT = "take_report", _("Take a report on any channel (open a ticket)")
    ACCEPT_TICKET = "accept_ticket", _("Accept a ticket and start work")
    REPLY_TICKET = "reply_ticket", _("Reply to the customer and add internal notes")
    LOG_CALL = "log_call", _("Log a call with the customer")
    ROUTE_TICKET = "route_ticket", _("Forward a ticket to another service centre")
    ASSIGN_TICKET = "assign_ticket", _("Assign a ticket to an engineer")
    REQUEST_ONSITE = "request_onsite", _("Request on-site service")
    RECORD_ARRIVAL = "record_arrival", _("Record an engineer's arrival on site")
    RECORD_RESTORED = "record_restored", _("Record that service was restored")
    RESOLVE_TICKET = "resolve_ticket", _("Write the handling report and resolve")
    RECORD_FOLLOWUP = "record_followup", _("Record the follow-up call (回访)")
    CLOSE_TICKET = "close_ticket", _("Close or reopen a ticket")
    CANCEL_TICKET = "cancel_ticket", _("Cancel a ticket or mark it a duplicate")
    CHANGE_SEVERITY = "change_severity", _("Change a fault's severity")
    OVERRIDE_ENTITLEMENT = "override_entitlement", _("Override the entitlement verdict")
    HANDLE_COMPLAINT = "handle_complaint", _("Own complaints and record their outcome")
    GRANT_APPROVAL = "grant_approval", _("Approve exceptions, e.g. a discount beyond the limit")
    CHANGE_INSTALLED_BASE = "change_installed_base", _("Record unit and part swaps and software versions")
    MANAGE_ROSTER = "manage_roster", _("Edit the on-call roster")
    VIEW_REPORTS = "view_reports", _("See compliance reports and the overview")
    CONFIGURE = "configure", _("Configure policy, calendars and users")
    DISPATCH_VISIT = "dispatch_visit", _("Dispatch, re-plan and cancel engineers' visits")
    WORK_VISIT = "work_visit", _("Do one's own visits: check in, report, get the customer's sign-off")
    PLAN_INSPECTIONS = "plan_inspections", _("Keep inspection plans and checklist templates")
    MANAGE_SPARES = "manage_spares", _("Lend spare units and keep the spare-parts stock")
    MANAGE_REPAIRS = "manage_repairs", _("Run return-to-factory repairs")
    QUOTE_WORK = "quote_work", _("Quote paid work and keep customers' statements")
    PUBLISH_RELEASES = "publish_releases", _("Publish software releases and security bulletins")


C = Capability

# What only reads; every other capability changes something. Leadership holds nothing else.
READ_CAPABILITIES = frozenset(
    {C.VIEW_ALL_TICKETS, C.VIEW_CENTRE_TICKETS, C.VIEW_OWN_CUSTOMERS, C.VIEW_REPORTS}
)

# The hands-on work on a ticket, shared by everyone who diagnoses and fixes.
_WORKER = {
    C.ACCEPT_TICKET,
    C.REPLY_TICKET,
    C.LOG_CALL,
    C.REQUEST_ONSITE,
    C.RECORD_ARRIVAL,
    C.RECORD_RESTORED,
    C.RESOLVE_TICKET,
    C.CHANGE_INSTALLED_BASE,
    C.WORK_VISIT,
    C.MANAGE_REPAIRS,
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    # The 24h hotline: takes every report (complaints included), forwards it to a centre,
    # and calls the customer back to verify the fix before the ticket closes.
    Role.SPECIALIST: frozenset(
        {
            C.VIEW_ALL_TICKETS,
            C.TAKE_REPORT,
            C.REPLY_TICKET,
            C.LOG_CALL,
            C.ROUTE_TICKET,
            C.REQUEST_ONSITE,
            C.RECORD_FOLLOWUP,
            C.CLOSE_TICKET,
            C.CANCEL_TICKET,
            C.MANAGE_REPAIRS,
            C.QUOTE_WORK,
        }
    ),
    Role.ENGINEER: frozenset({C.VIEW_CENTRE_TICKETS, *_WORKER}),
    # R&D supports every centre, so it sees every ticket.
    Role.RND: frozenset({C.VIEW_ALL_TICKETS, *_WORKER, C.PUBLISH_RELEASES}),
    Role.LEAD: frozenset(
        {
            C.VIEW_CENTRE_TICKETS,
            *_WORKER,
            C.ASSIGN_TICKET,
            C.ROUTE_TICKET,
            C.CHANGE_SEVERITY,
            C.CANCEL_TICKET,
            C.MANAGE_ROSTER,
            C.VIEW_REPORTS,
            C.DISPATCH_VISIT,
            C.PLAN_INSPECTIONS,
            C.MANAGE_SPARES,
        }
    ),
    # Customer-support manager and customer-service manager (one role; may be one person).
    Role.MANAGER: frozenset(
        {
            C.VIEW_ALL_TICKETS,
            C.TAKE_REPORT,
            *_WORKER,
            C.ASSIGN_TICKET,
            C.ROUTE_TICKET,
            C.RECORD_FOLLOWUP,
            C.CLOSE_TICKET,
            C.CANCEL_TICKET,
            C.CHANGE_SEVERITY,
            C.OVERRIDE_ENTITLEMENT,
            C.HANDLE_COMPLAINT,
            C.GRANT_APPROVAL,
            C.MANAGE_ROSTER,
            C.VIEW_REPORTS,
            C.DISPATCH_VISIT,
            C.PLAN_INSPECTIONS,
            C.MANAGE_SPARES,
            C.QUOTE_WORK,
            C.PUBLISH_RELEASES,
        }
    ),
    Role.ACCOUNT: frozenset(
        {C.VIEW_OWN_CUSTOMERS, C.TAKE_REPORT, C.REPLY_TICKET, C.LOG_CALL, C.QUOTE_WORK, C.PLAN_INSPECTIONS}
    ),
    # Oversight: reads everything, changes nothing.
    Role.LEADER: frozenset({C.VIEW_ALL_TICKETS, C.VIEW_REPORTS}),
    Role.ADMIN: frozenset(
        {
            C.VIEW_ALL_TICKETS,
            C.VIEW_REPORTS,
            C.CONFIGURE,
            C.MANAGE_ROSTER,
            C.CHANGE_INSTALLED_BASE,
            C.PLAN_INSPECTIONS,
            C.MANAGE_SPARES,
            C.PUBLISH_RELEASES,
        }
    ),
    # Customer users act in the portal only, on their own organisation (see customers.queries).
    Role.CUSTOMER: frozenset(),
}

STAFF_ROLES = frozenset(role for role in Role if role != Role.CUSTOMER)


def capabilities_of(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())
