"""Migration operations that only PostgreSQL can carry out; on SQLite they do nothing."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """Raw SQL for guards SQLite cannot hold (exclusion constraints); the forms check the same."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
