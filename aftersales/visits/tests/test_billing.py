"""A visit's parts move the centre's stock, and its billable quantities become a draft quote."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from aftersales.core.errors import Conflict, InvalidInput
from aftersales.fees.models import Quote, QuoteStatus
from aftersales.fees.tests.factories import ensure_schedule
from aftersales.spares.models import FaultyPartReturn, SparePart
from aftersales.spares.services import receive_parts
from aftersales.units.tests.factories import UnitPartFactory
from aftersales.visits import services
from aftersales.visits.models import Visit
from aftersales.visits.tests.conftest import T0, dispatch, open_fault


def _on_site(cast, unit, contact):
    ticket = open_fault(cast, unit, contact)
    visit = dispatch(cast, ticket)
    arrival = T0 + timedelta(hours=2)
    check = services.check_in(visit=visit, engineer=cast.engineer, at=arrival, now=arrival)
    services.confirm_arrival_with_code(visit=visit, engineer=cast.engineer, code=check.code, now=arrival)
    return ticket, visit, arrival


def test_a_part_fitted_on_a_visit_leaves_the_centres_stock_and_the_faulty_one_heads_for_the_factory(
    cast, unit, contact
):
    ticket, visit, _arrival = _on_site(cast, unit, contact)
    centre = ticket.centre
    receive_parts(centre=centre, part_number="MB-01", name="主板", quantity=1, by=cast.manager)
    first = UnitPartFactory(unit=unit, name="主板", part_number="MB-01", serial="MB000001")

    services.record_part_replacement(visit=visit, part=first, new_serial="MB000002", by=cast.engineer)

    assert SparePart.objects.get(centre=centre, part_number="MB-01").quantity_on_hand == 0
    faulty = FaultyPartReturn.objects.get(reference=visit.number)
    assert (faulty.part_number, faulty.serial, faulty.centre) == ("MB-01", "MB000001", centre)
    # The stock is empty now: a second replacement is refused and changes nothing.
    second = UnitPartFactory(unit=unit, name="主板", part_number="MB-01", serial="MB000003")
    with pytest.raises(Conflict):
        services.record_part_replacement(visit=visit, part=second, new_serial="MB000004", by=cast.engineer)
    assert visit.report.parts.count() == 1
    assert FaultyPartReturn.objects.filter(reference=visit.number).count() == 1


def test_a_completed_chargeable_visit_is_quoted_from_the_schedule_in_force(cast, unit, contact):
    ensure_schedule()  # prices onsite_visit and part:PSU-500 only
    _ticket, visit, arrival = _on_site(cast, unit, contact)
    left = arrival + timedelta(hours=1)
    services.leave_site(visit=visit, engineer=cast.engineer, at=left, now=left)
    services.write_report(visit=visit, by=cast.engineer, findings="电源故障", work_done="更换电源")
    Visit.objects.filter(pk=visit.pk).update(is_chargeable=True)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED

    quote = services.quote_visit(visit=visit, by=cast.manager)

    assert quote.status == QuoteStatus.DRAFT and quote.customer == visit.customer
    assert [(line.code, line.quantity) for line in quote.lines.all()] == [("onsite_visit", Decimal(1))]
    assert "travel" in quote.note.lower() or "Covered city" in quote.note
    assert visit.events.filter(kind="quoted").exists()
    with pytest.raises(Conflict):
        services.quote_visit(visit=visit, by=cast.manager)


def test_a_free_visit_is_not_quoted(cast, unit, contact):
    ensure_schedule()
    _ticket, visit, _arrival = _on_site(cast, unit, contact)
    with pytest.raises(InvalidInput, match="not chargeable"):
        services.quote_visit(visit=visit, by=cast.manager)
    assert not Quote.objects.exists()
