"""The staff console's search: the header box sends its query here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from aftersales.desk.views.auth import staff_required
from aftersales.search.queries import exact_ticket_number, search_tickets
from aftersales.search.snippets import highlight, snippet

RESULTS_LIMIT = 50


@staff_required
def results(request: HttpRequest) -> HttpResponse:
    """Search results; an exact ticket number opens that ticket instead. Console pages are staff only."""
    query = request.GET.get("q", "")
    number = exact_ticket_number(request.user, query)
    if number is not None:
        return HttpResponseRedirect(reverse("desk:ticket", kwargs={"number": number}))
    found = search_tickets(request.user, query, limit=RESULTS_LIMIT)
    rows = [
        {
            "number": hit.ticket.number,
            "url": reverse("desk:ticket", kwargs={"number": hit.ticket.number}),
            "title": highlight(hit.ticket.title, found.terms),
            "customer": hit.ticket.customer.name,
            "status": hit.ticket.get_status_display(),
            "snippet": snippet(hit.text, found.terms),
            "is_direct": hit.is_direct,
        }
        for hit in found.hits
    ]
    return render(
        request,
        "search/results.html",
        # search_query fills the header's search box again.
        {"query": found.query, "search_query": found.query, "rows": rows, "limit": RESULTS_LIMIT},
    )
