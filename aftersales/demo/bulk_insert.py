"""Inserting a great many rows of one model: ``bulk_create``'s work, cheaper to prepare.

``bulk_create`` sends each value through its field's whole ``get_db_prep_save``
path — a few microseconds a value, which for a million tickets of 55 columns
(and their clocks and events) is most of ten minutes. Here the preparation of
each *column* is decided once: text, numbers, booleans and foreign-key ids go
to the driver as they are (what ``get_db_prep_save`` returns for them anyway),
dates and times through the backend's own adapters, and every other kind of
field through ``get_db_prep_save`` as Django would. On SQLite the statements
are those ``bulk_create`` sends (multi-row ``INSERT … RETURNING id`` under the
parameter limit); on PostgreSQL one prepared ``INSERT … RETURNING id`` that
psycopg pipelines for every row. A model this does not cover (database
defaults, generated columns, a backend without RETURNING) goes through
``bulk_create`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

# Fields whose prepared value is the Python value itself (exact types: a subclass may prepare
# differently, and then takes the general path).
_AS_IS = {
    models.CharField,
    models.TextField,
    models.SlugField,
    models.EmailField,
    models.URLField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
}
_INTEGER_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField)
# PostgreSQL's protocol limit on parameters in one statement; SQLite states its own.
_DEFAULT_MAX_PARAMS = 65535
_MAX_ROWS_PER_STATEMENT = 1000


def insert_rows(model: type[models.Model], objects: Sequence[models.Model]) -> list[int]:
    """Insert ``objects`` (new, unsaved) and return their ids, which are also set on them."""
    if not objects:
        return []
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    if not _covered(fields):
        created = model._default_manager.bulk_create(objects)
        return [obj.pk for obj in created]
    preparers = [(field, _preparer(field)) for field in fields]
    stamped = [
        field
        for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    rows = []
    for obj in objects:
        for field in stamped:
            field.pre_save(obj, True)
        rows.append([prepare(getattr(obj, field.attname)) for field, prepare in preparers])
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(model._meta.pk.column)}"
    if connection.vendor == "postgresql":
        ids = _insert_postgresql(insert + placeholders + returning, rows)
    else:
        ids = []
        max_params = connection.features.max_query_params or _DEFAULT_MAX_PARAMS
        per_statement = max(1, min(_MAX_ROWS_PER_STATEMENT, max_params // len(fields)))
        with connection.cursor() as cursor:
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                cursor.execute(
                    insert + ", ".join([placeholders] * len(chunk)) + returning,
                    [value for row in chunk for value in row],
                )
                ids.extend(row[0] for row in cursor.fetchall())
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return ids


def _insert_postgresql(statement: str, rows: list[list[Any]]) -> list[int]:
    """One prepared single-row INSERT, pipelined by psycopg for every row, ids returned in order.

    Django's cursor binds parameters on the client, spelling every value into
    the SQL text; psycopg's own cursor on the same connection (so in the same
    transaction) sends them bound and reuses one prepared statement.
    """
    import psycopg

    connection.ensure_connection()
    ids = []
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.executemany(statement, rows, returning=True)
        while True:
            ids.append(cursor.fetchone()[0])
            if not cursor.nextset():
                break
    return ids


def _covered(fields: list[models.Field]) -> bool:
    """Whether every column can be written here; otherwise ``bulk_create`` does it."""
    if not connection.features.can_return_rows_from_bulk_insert:
        return False
    return not any(
        getattr(field, "generated", False) or getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
        for field in fields
    )


def _preparer(field: models.Field) -> Callable[[Any], Any]:
    ops = connection.ops
    if type(field) in _AS_IS:
        return _as_is
    if isinstance(field, models.ForeignKey) and isinstance(field.target_field, _INTEGER_KEYS):
        return _as_is
    if isinstance(field, models.DateTimeField):
        return lambda value: None if value is None else ops.adapt_datetimefield_value(value)
    if isinstance(field, models.DateField):
        return lambda value: None if value is None else ops.adapt_datefield_value(value)
    return lambda value: field.get_db_prep_save(value, connection)


def _as_is(value: Any) -> Any:
    return value
