"""A statement as an Excel workbook: the invoice details, one row per charge, totals per VAT rate."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Font

from aftersales.core.business_time import local_zone
from aftersales.fees.models import Statement

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


def statement_workbook(statement: Statement) -> bytes:
    """The statement's sheet; amounts are numbers (not text) with two decimals."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = statement.number[:31]
    bold = Font(bold=True)
    sheet.append([gettext("Statement"), statement.number])
    sheet["A1"].font = bold
    for label, value in (
        (gettext("Customer"), statement.customer.name),
        (gettext("Invoice title (发票抬头)"), statement.invoice_title),
        (gettext("Tax number"), statement.tax_number),
        (gettext("Invoice address and phone"), statement.invoice_address),
        (gettext("Bank and account"), statement.invoice_bank),
        (gettext("Period"), f"{statement.period_start:%Y-%m-%d} – {statement.period_end:%Y-%m-%d}"),
        (
            gettext("Issued at"),
            timezone.localtime(statement.issued_at, local_zone()).strftime("%Y-%m-%d %H:%M"),
        ),
    ):
        sheet.append([label, value])
    sheet.append([])
    headers = [
        gettext("Date"),
        gettext("Reference"),
        gettext("Description"),
        gettext("Quantity"),
        gettext("VAT rate (%)"),
        gettext("Net amount"),
        gettext("VAT"),
        gettext("Amount incl. VAT"),
    ]
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for charge in statement.charges.all():
        sheet.append(
            [
                timezone.localtime(charge.at, local_zone()).date(),
                charge.reference,
                charge.description,
                float(charge.quantity),
                float(charge.vat_rate),
                float(charge.net_amount),
                float(charge.tax_amount),
                float(charge.amount),
            ]
        )
        row = sheet[sheet.max_row]
        row[0].number_format = "yyyy-mm-dd"
        for cell in row[5:8]:
            cell.number_format = MONEY_FORMAT
    sheet.append([])
    for group in statement.vat_totals():
        sheet.append(
            [
                gettext("Total at %(rate)s %% VAT") % {"rate": group["vat_rate"]},
                "", "", "",
                float(group["vat_rate"]),
                float(group["net"]),
                float(group["tax"]),
                float(group["gross"]),
            ]
        )  # fmt: skip
        for cell in sheet[sheet.max_row][5:8]:
            cell.number_format = MONEY_FORMAT
    sheet.append([gettext("Total"), "", "", "", "", "", "", float(statement.total)])
    last = sheet[sheet.max_row]
    last[0].font = bold
    last[7].font = bold
    last[7].number_format = MONEY_FORMAT
    for column, width in zip("ABCDEFGH", (22, 20, 48, 10, 12, 14, 12, 16), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
