"""Human-readable document numbers: ``SR-2026-000123``, ``VS-2026-000001`` …

The year is the Asia/Shanghai year of the moment of creation; the sequence is
per prefix and year and widens past six digits when it must.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class NumberBlock:
    """Consecutive document numbers taken at once: ``block[i]`` is the i-th, formatted."""

    prefix: str
    year: int
    first: int
    last: int

    def __len__(self) -> int:
        return self.last - self.first + 1

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self):
            raise IndexError(index)
        return f"{self.prefix}-{self.year}-{self.first + index:06d}"


def reserve_document_numbers(prefix: str, count: int, *, at: datetime | None = None) -> NumberBlock:
    """Take ``count`` consecutive numbers of ``prefix`` in one statement, for bulk loads.

    Same sequence, year and format as ``next_document_number``: one
    ``UPDATE … SET last_number = last_number + count`` takes the whole block, so
    numbers issued meanwhile by ``open_ticket`` never collide with it.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    year = local_date(at or timezone.now()).year
    with transaction.atomic():
        for _attempt in range(2):
            updated = DocumentSequence.objects.filter(prefix=prefix, year=year).update(
                last_number=F("last_number") + count
            )
            if updated:
                break
            try:
                with transaction.atomic():
                    DocumentSequence.objects.create(prefix=prefix, year=year, last_number=count)
                break
            except IntegrityError:
                continue  # a concurrent creator made the row first: take the UPDATE path
        last = DocumentSequence.objects.get(prefix=prefix, year=year).last_number
    return NumberBlock(prefix=prefix, year=year, first=last - count + 1, last=last)
