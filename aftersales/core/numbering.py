"""Human-readable document numbers: ``SR-2026-000123``, ``VS-2026-000001`` …

The year is the Asia/Shanghai year of the moment of creation; the sequence is
per prefix and year and widens past six digits when it must.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from aftersales.core.business_time import local_date
from aftersales.core.models import DocumentSequence


def next_document_number(prefix: str, *, at: datetime | None = None) -> str:
    """Take the next number for ``prefix`` in the year of ``at`` (default: now).

    Must run inside the caller's transaction so the number is only used if the
    document is saved; the row lock taken by the UPDATE serialises creators.
    """
    year = local_date(at or timezone.now()).year
    for _attempt in range(2):
        updated = DocumentSequence.objects.filter(prefix=prefix, year=year).update(
            last_number=F("last_number") + 1
        )
        if updated:
            break
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(prefix=prefix, year=year, last_number=1)
            break
        except IntegrityError:
            continue  # a concurrent creator made the row first: take the UPDATE path
    number = DocumentSequence.objects.get(prefix=prefix, year=year).last_number
    return f"{prefix}-{year}-{number:06d}"
