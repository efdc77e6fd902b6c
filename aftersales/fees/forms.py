"""Forms of the fees pages: the quote line editor, decisions, approvals and statements."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.fees.models import DecisionChannel

EDITOR_BLANK_ROWS = 4
MAX_ROWS = 60


def parse_line_rows(data) -> list[dict]:
    """The editor's rows ``line-<i>-code`` … as ``create_quote`` lines; rows without a code are skipped.

    Values are passed on as typed: the service validates them and says what is wrong.
    """
    lines = []
    for index in range(MAX_ROWS):
        code = (data.get(f"line-{index}-code") or "").strip()
        if not code:
            continue
        line = {"code": code, "quantity": (data.get(f"line-{index}-quantity") or "1").strip()}
        for key in ("unit_price", "discount_percent", "description"):
            value = (data.get(f"line-{index}-{key}") or "").strip()
            if value:
                line[key] = value
        lines.append(line)
    return lines


def editor_rows(lines=None, posted=None) -> list[dict]:
    """The rows the editor shows: the posted rows (after a refusal), else the quote's lines, then blanks."""
    rows = []
    if posted is not None:
        rows = [
            {
                "code": line["code"],
                "quantity": line.get("quantity", ""),
                "unit_price": line.get("unit_price", ""),
                "discount_percent": line.get("discount_percent", ""),
                "description": line.get("description", ""),
            }
            for line in parse_line_rows(posted)
        ]
    elif lines is not None:
        for line in lines:
            rows.append(
                {
                    "code": line.code,
                    "quantity": line.quantity.normalize(),
                    "unit_price": line.unit_price if line.off_schedule else "",
                    "discount_percent": line.discount_percent.normalize() if line.discount_percent else "",
                    "description": line.description,
                }
            )
    rows += [{"code": "", "quantity": "", "unit_price": "", "discount_percent": "", "description": ""}] * (
        EDITOR_BLANK_ROWS
    )
    return [dict(row, index=index) for index, row in enumerate(rows[:MAX_ROWS])]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Customer's decision"), choices=[("approve", _("Approved")), ("refuse", _("Refused"))]
    )
    channel = forms.ChoiceField(
        label=_("Told us by"), choices=[c for c in DecisionChannel.choices if c[0] != DecisionChannel.PORTAL]
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class PortalDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    confirm = forms.BooleanField(label=_("I confirm this decision for my organisation."), required=True)


class StatementForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None, to_field_name="code")
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
