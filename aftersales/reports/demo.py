"""Demo data of the year-end reports: last year's archived, sent reports and one on demand.

The demo's tickets cover the last months only, so besides last year's automatic reports of the
two customers with portal logins (archived and sent on the first working day of January, as the
run would have), the manager generated one on demand for the second customer over the last
twelve months, which shows the sections filled in.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from aftersales.accounts.models import User
from aftersales.core.business_time import local_date, local_zone
from aftersales.customers.models import Contact
from aftersales.notifications.models import OutboxMessage
from aftersales.reports import services


def build_demo(*, now: datetime, rng: random.Random) -> str:
    """Archive the demo's year-end reports; returns a one-line summary."""
    del rng  # nothing random: the reports follow from the demo's records
    today = local_date(now)
    customers = [
        Contact.objects.select_related("customer").get(user__username=name).customer
        for name in ("customer1", "customer2")
    ]
    year = today.year - 1
    run_at = datetime.combine(
        services.first_working_day_of_january(today.year), time(7, 30), tzinfo=local_zone()
    )
    if run_at > now:  # early January, before the run: the year before last is the archived one
        year -= 1
        run_at = datetime.combine(
            services.first_working_day_of_january(today.year - 1), time(7, 30), tzinfo=local_zone()
        )
    reports = []
    for customer in customers:
        reports += services.run_year_end_reports(now=run_at, year=year, customer=customer)
    manager = User.objects.get(username="manager")
    reports.append(
        services.generate_year_end_report(
            customer=customers[1], start=today - timedelta(days=364), end=today, by=manager, now=now
        )
    )
    # The automatic run's mail belongs to the past: count it as delivered then.
    OutboxMessage.objects.filter(kind=services.NOTICE_KIND, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=run_at
    )
    return f"{len(reports)} year-end reports archived ({year}, and the last twelve months of {customers[1]})"
