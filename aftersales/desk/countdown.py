"""How a promise's remaining time is shown: the countdown text and its risk colour.

The server renders the same text the browser's ticker (``desk/countdown.js``
inlined in the queue) writes every second, so a page without JavaScript is
right when it loads, and the two never disagree about the format.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import pgettext

BREACHED = "breached"
AT_RISK = "at-risk"
ON_TRACK = "on-track"
MET = "met"


def risk_state(*, due_at: datetime | None, warn_at: datetime | None, now: datetime) -> str:
    """Red once due, amber once the warning time has passed, green before; grey with nothing due."""
    if due_at is None:
        return MET
    if now >= due_at:
        return BREACHED
    if warn_at is not None and now >= warn_at:
        return AT_RISK
    return ON_TRACK


def unit_labels() -> dict[str, str]:
    """The short units of the countdown in the active language (also handed to the ticker)."""
    return {
        "d": pgettext("countdown unit", "d"),
        "h": pgettext("countdown unit", "h"),
        "m": pgettext("countdown unit", "m"),
        "s": pgettext("countdown unit", "s"),
    }


def format_remaining(seconds: float, units: dict[str, str]) -> str:
    """``2d 4h``, ``3h 05m``, ``12m 09s``; overdue time gets a minus sign.

    Seconds are shown only in the last hour, where they matter to the person on
    the phone; the browser ticker uses the same rule (keep them in step).
    """
    sign = "−" if seconds < 0 else ""
    left = int(abs(seconds))
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    if days:
        return f"{sign}{days}{units['d']} {hours}{units['h']}"
    if hours:
        return f"{sign}{hours}{units['h']} {minutes:02d}{units['m']}"
    return f"{sign}{minutes}{units['m']} {secs:02d}{units['s']}"
