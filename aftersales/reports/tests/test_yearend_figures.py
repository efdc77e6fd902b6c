"""The year-end figures against the hand-computed customer-year of ``yearend_fixture``."""

from __future__ import annotations

from datetime import date

import pytest

from aftersales.reports.tests.yearend_fixture import build_year
from aftersales.reports.yearend import MilestoneTally, customers_with_activity, year_end_figures

pytestmark = pytest.mark.django_db

START, END = date(2026, 1, 1), date(2026, 12, 31)


@pytest.fixture
def year():
    return build_year()


def test_every_headline_figure_of_the_year(year):
    headline = year_end_figures(year.bank, start=START, end=END).headline

    assert headline.tickets == 6
    assert headline.tickets_resolved == 2
    assert (headline.promises_decided, headline.promises_kept) == (6, 3)
    assert (headline.promises_late_with_notice, headline.promises_broken) == (1, 2)
    assert headline.promises_running == 1
    assert headline.kept_percent == 50.0
    assert headline.average_minutes_late_of_late == 55.0
    assert headline.by_milestone == (
        MilestoneTally("response", "Response", kept=2, late_with_notice=0, broken=2, running=1),
        MilestoneTally("onsite_local", "Local engineer on site", late_with_notice=1),
        MilestoneTally("restored", "Service restored", kept=1),
    )
    assert (headline.follow_ups, headline.satisfaction_rated) == (4, 3)
    assert headline.satisfaction_average == 3.67
    assert headline.satisfaction_counts == (0, 1, 0, 1, 1)
    assert headline.fixed_at_follow_up == 3
    assert (headline.visits, headline.visits_completed, headline.inspections) == (2, 2, 1)
    assert (headline.checklist_ok, headline.checklist_attention, headline.checklist_fault) == (1, 1, 1)
    assert headline.parts_replaced == 2
    assert (headline.units, headline.units_in_service) == (4, 3)
    assert (headline.units_in_warranty, headline.units_under_contract, headline.units_chargeable) == (1, 1, 1)
    assert headline.warranties_ended_in_period == 2
    assert headline.contracts_running_at_end == 1


def test_each_promise_carries_its_minutes_early_or_late(year):
    figures = year_end_figures(year.bank, start=START, end=END)

    promises = {
        (ticket.number, promise.milestone): (promise.outcome, promise.minutes_late)
        for ticket in figures.tickets
        for promise in ticket.promises
    }
    assert promises == {
        ("SR-T1", "response"): ("kept", -18),
        ("SR-T1", "restored"): ("kept", -30),
        ("SR-T2", "response"): ("broken", 20),
        ("SR-T3", "onsite_local"): ("late_with_notice", 90),
        ("SR-T4", "response"): ("broken", None),
        ("SR-T5", "response"): ("kept", -5),
        ("SR-T6", "response"): ("open", None),
    }
    assert [ticket.number for ticket in figures.tickets] == [
        "SR-T1",
        "SR-T2",
        "SR-T3",
        "SR-T4",
        "SR-T5",
        "SR-T6",
    ]
    t5 = next(ticket for ticket in figures.tickets if ticket.number == "SR-T5")
    assert t5.organisation == "重庆银行万州分行"


def test_visits_inspections_parts_units_and_contracts_are_listed(year):
    figures = year_end_figures(year.bank, start=START, end=END)

    assert [visit.number for visit in figures.other_visits] == ["VS-1"]
    assert figures.other_visits[0].findings == "电源模块损坏"
    inspection = figures.inspections[0]
    assert inspection.number == "VS-2"
    assert inspection.checklist_counts == {"ok": 1, "attention": 1, "fault": 1}
    assert [(part.serial_out, part.serial_in, part.on) for part in figures.parts] == [
        ("PSU-OLD", "PSU-NEW", date(2026, 6, 1)),
        ("FAN-OLD", "FAN-NEW", date(2026, 10, 10)),
    ]
    units = {unit.serial: unit for unit in figures.units}
    assert set(units) == {"U1", "U2", "U3", "U4"}
    assert units["U2"].verdict == "under_contract" and units["U2"].contract_number == "HT-EXT"
    assert units["U2"].hardware_warranty_ends_on == date(2026, 6, 30)
    assert units["U3"].verdict == "chargeable" and units["U3"].warranty_ended_in_period
    assert units["U1"].verdict == "in_warranty" and not units["U1"].warranty_ended_in_period
    assert not units["U4"].in_service
    assert [(c.number, c.running_at_end) for c in figures.contracts] == [("HT-INSP", False), ("HT-EXT", True)]
    assert figures.include_branches and figures.organisations == ("重庆银行", "重庆银行万州分行")


def test_the_branch_alone_sees_only_its_own_year(year):
    headline = year_end_figures(year.branch, start=START, end=END).headline

    assert (headline.tickets, headline.promises_kept, headline.units) == (1, 1, 1)
    assert headline.satisfaction_average == 4.0


def test_a_head_office_without_its_branches(year):
    figures = year_end_figures(year.bank, start=START, end=END, include_branches=False)

    assert figures.headline.tickets == 5 and not figures.include_branches
    assert figures.headline.units == 3


def test_any_period_counts_only_what_falls_in_it(year):
    headline = year_end_figures(year.bank, start=date(2026, 5, 1), end=date(2026, 6, 30)).headline

    assert headline.tickets == 2  # T2, T3
    assert (headline.promises_broken, headline.promises_late_with_notice) == (1, 1)
    assert headline.visits == 1 and headline.parts_replaced == 1
    assert headline.warranties_ended_in_period == 0  # U2's last day is the period's last day


def test_the_figures_cost_a_bounded_number_of_queries(year, django_assert_max_num_queries):
    with django_assert_max_num_queries(13):
        year_end_figures(year.bank, start=START, end=END)


def test_customers_with_activity_include_those_with_only_units_in_service(year):
    codes = list(customers_with_activity(START, END).values_list("code", flat=True))

    assert codes == ["bank", "bank-wz", "insurer"]
    assert list(customers_with_activity(date(2019, 1, 1), date(2019, 12, 31))) == []
