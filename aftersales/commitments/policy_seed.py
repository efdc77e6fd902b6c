"""The promises of the service commitment letter, as the first service policy.

Used by the data migration that seeds a new database and by tests. Targets are
the letter's; an administrator edits them (or adds a newer policy version) in
the admin afterwards.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SEED_POLICY_NAME = "服务承诺书 Service commitment letter"
SEED_EFFECTIVE_FROM = datetime(2000, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))

_RESPONSE_KINDS = ("fault", "consultation", "installation", "training", "migration", "upgrade")

# (milestone, ticket_kind, severity, coverage, calendar, minutes, working_days,
#  start_event, meet_event, may_pause, warn_before_minutes)
SEED_RULES: list[tuple] = [
    # 1.7: response within 30 minutes for severe and general faults, 7×24.
    *[
        ("response", kind, "", "any", "wall_clock", 30, None, "reported", "first_response", False, 10)
        for kind in _RESPONSE_KINDS
    ],
    # 1.7: severe — local engineer on site within 4 h in a covered city (e.g. Chongqing).
    (
        "onsite_local",
        "fault",
        "severe",
        "covered",
        "wall_clock",
        240,
        None,
        "onsite_requested",
        "local_arrival",
        False,
        60,
    ),
    # 1.7: general — local engineer on site within 24 h.
    (
        "onsite_local",
        "fault",
        "general",
        "covered",
        "wall_clock",
        1440,
        None,
        "onsite_requested",
        "local_arrival",
        False,
        120,
    ),
    # Sites outside every centre's coverage: their own, configurable targets.
    (
        "onsite_local",
        "fault",
        "severe",
        "uncovered",
        "wall_clock",
        1440,
        None,
        "onsite_requested",
        "local_arrival",
        False,
        120,
    ),
    (
        "onsite_local",
        "fault",
        "general",
        "uncovered",
        "wall_clock",
        2880,
        None,
        "onsite_requested",
        "local_arrival",
        False,
        240,
    ),
    # 1.7: severe — R&D engineer on site within 24 h when requested.
    (
        "onsite_rnd",
        "fault",
        "severe",
        "any",
        "wall_clock",
        1440,
        None,
        "rnd_onsite_requested",
        "rnd_arrival",
        False,
        120,
    ),
    # "Restore first": measured for every fault; no target in the letter.
    ("restored", "fault", "", "any", "wall_clock", None, None, "reported", "restored", False, 0),
    # Complaints: answered by the customer-service manager.
    (
        "complaint_response",
        "complaint",
        "",
        "any",
        "wall_clock",
        120,
        None,
        "reported",
        "first_response",
        False,
        30,
    ),
    # 1.5.1: return-to-factory repair within 20 working days; waiting for the
    # customer's quote approval pauses it.
    (
        "repair_return",
        "",
        "",
        "any",
        "china_working_days",
        None,
        20,
        "repair_received",
        "repair_shipped_back",
        True,
        2880,
    ),
]


def seed_policy(policy_model, rule_model) -> None:
    """Create the letter's policy unless a vendor policy exists (models passed for migrations)."""
    if policy_model.objects.filter(contract__isnull=True).exists():
        return
    policy = policy_model.objects.create(
        name=SEED_POLICY_NAME,
        effective_from=SEED_EFFECTIVE_FROM,
        note="江南科友售后服务承诺书 1.4–1.7",
    )
    for (
        milestone,
        kind,
        severity,
        coverage,
        calendar,
        minutes,
        days,
        start,
        meet,
        may_pause,
        warn,
    ) in SEED_RULES:
        rule_model.objects.create(
            policy=policy,
            milestone=milestone,
            ticket_kind=kind,
            severity=severity,
            coverage=coverage,
            calendar=calendar,
            target_minutes=minutes,
            target_working_days=days,
            start_event=start,
            meet_event=meet,
            may_pause=may_pause,
            warn_before_minutes=warn,
        )
