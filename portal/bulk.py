"""Bulk upserts of many rows into one table, for imports.

On PostgreSQL each chunk is copied (COPY) into a temporary table and merged with one
INSERT … SELECT … ON CONFLICT DO UPDATE; elsewhere (SQLite) it is one
bulk_create(update_conflicts=True). Both match a stored row on the same unique columns and
set the same columns, run in the caller's transaction and send no model signals: the caller
tells other apps what changed.

COPY because composing a 2,000-row INSERT in Python (every value through the field's
get_db_prep_save, the statement assembled as text) cost about as much as the database's
work on it; COPY sends the values as they are."""

from collections.abc import Sequence

from django.db import connections, models, router


class RowsUpsert:
    """Writes chunks of unsaved instances of one model, matched on `unique_fields`; a match
    gets `update_fields` from the instance, other rows are inserted. Use inside one
    transaction: on PostgreSQL the temporary table lives until its commit."""

    def __init__(
        self,
        model: type[models.Model],
        *,
        unique_fields: Sequence[str],
        update_fields: Sequence[str],
    ) -> None:
        self.model = model
        self.unique_fields = tuple(unique_fields)
        self.update_fields = tuple(update_fields)
        self.using = router.db_for_write(model)
        self._fields = [model._meta.get_field(name) for name in (*unique_fields, *update_fields)]
        self._staging: str | None = None

    def write(self, instances: Sequence[models.Model]) -> None:
        if not instances:
            return
        connection = connections[self.using]
        if connection.vendor != "postgresql":
            self.model._default_manager.using(self.using).bulk_create(
                instances,
                update_conflicts=True,
                unique_fields=self.unique_fields,
                update_fields=self.update_fields,
            )
            return
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in self._fields)
        with connection.cursor() as cursor:
            if self._staging is None:
                self._staging = quote(f"import_{self.model._meta.db_table}")
                # Left by an earlier write in the same (still open) transaction, if any.
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{self._staging}")
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {self._staging} ON COMMIT DROP AS "  # noqa: S608 - names from the model
                    f"SELECT {columns} FROM {table} WITH NO DATA"
                )
            else:
                cursor.execute(f"TRUNCATE {self._staging}")
            attnames = [field.attname for field in self._fields]
            # The driver's own cursor: Django's wrapper has no COPY.
            with cursor.cursor.copy(f"COPY {self._staging} ({columns}) FROM STDIN") as copy:
                for instance in instances:
                    copy.write_row([getattr(instance, name) for name in attnames])
            conflict = ", ".join(
                quote(self.model._meta.get_field(name).column) for name in self.unique_fields
            )
            assignments = ", ".join(
                f"{quote(column)} = EXCLUDED.{quote(column)}"
                for column in (
                    self.model._meta.get_field(name).column for name in self.update_fields
                )
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {self._staging} "  # noqa: S608 - names from the model
                f"ON CONFLICT ({conflict}) DO UPDATE SET {assignments}"
            )
