"""Template tags of the staff console's layout."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from aftersales.desk.queries import UNREAD_CAP, unread_count

register = template.Library()


@register.simple_tag
def inbox_link(user, nav: str = "") -> str:
    """The header's inbox link with the unread count: one bounded query per page."""
    count = unread_count(user)
    current = mark_safe(' aria-current="page"') if nav == "inbox" else ""
    label = gettext("Inbox")
    if not count:
        return format_html('<a class="inbox" href="/desk/inbox/"{}>{}</a>', current, label)
    shown = f"{UNREAD_CAP}+" if count > UNREAD_CAP else str(count)
    return format_html(
        '<a class="inbox" href="/desk/inbox/"{}>{} <span class="badge" title="{}">{}</span></a>',
        current,
        label,
        gettext("Unread notices"),
        shown,
    )
