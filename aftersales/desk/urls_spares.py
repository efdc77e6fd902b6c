"""The spares area's desk URLs, included by ``desk/urls.py``."""

from django.urls import path

from aftersales.desk.views import spares

urlpatterns = [
    path("spares/", spares.board, name="spares_board"),
    path("spares/ticket/<str:number>/panel/", spares.ticket_panel, name="spares_ticket_panel"),
    path("spares/ticket/<str:number>/lend/", spares.lend, name="spares_lend"),
    path("spares/ticket/<str:number>/decline/", spares.decline_proposal, name="spares_decline_proposal"),
    path("spares/loans/<str:loan_number>/", spares.loan_detail, name="spares_loan"),
    path("spares/loans/<str:loan_number>/quote/", spares.loan_quote, name="spares_loan_quote"),
    path("spares/loans/<str:loan_number>/return/", spares.loan_return, name="spares_loan_return"),
    path("spares/faulty/<int:faulty_id>/ship/", spares.faulty_ship, name="spares_faulty_ship"),
    path("spares/faulty/<int:faulty_id>/receive/", spares.faulty_receive, name="spares_faulty_receive"),
    path("spares/parts/receive/", spares.parts_receive, name="spares_parts_receive"),
]
