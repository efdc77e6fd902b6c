"""A migration operation that touches the database of one vendor only.

The search index is built differently per database (a GIN index on
PostgreSQL, an FTS5 table with triggers on SQLite); the model state must
still be the same everywhere so ``makemigrations --check`` stays quiet.
"""

from __future__ import annotations

from django.db.migrations.operations.base import Operation


class OnVendor(Operation):
    """Run ``operation`` against the database only when its vendor is ``vendor``.

    The model state changes on every database, as the wrapped operation says.
    """

    reversible = True

    def __init__(self, vendor: str, operation: Operation) -> None:
        self.vendor = vendor
        self.operation = operation
        self.reversible = operation.reversible
        self.reduces_to_sql = operation.reduces_to_sql

    def deconstruct(self):
        return ("aftersales.search.migration_operations.OnVendor", [self.vendor, self.operation], {})

    def state_forwards(self, app_label, state) -> None:
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == self.vendor:
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == self.vendor:
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"On {self.vendor} only: {self.operation.describe()}"

    @property
    def migration_name_fragment(self) -> str:
        return self.operation.migration_name_fragment
