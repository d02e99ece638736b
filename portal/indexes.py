"""Indexes that only PostgreSQL can build, declared on the model so migrations track them."""

from django.contrib.postgres.indexes import GinIndex
from django.db.models import Index


class TrigramIndex(GinIndex):
    """A pg_trgm GIN index, which serves LIKE '%fragment%' on the column (TrigramExtension
    must run first). Other databases get a plain index of the same name: they search by
    scanning, and the migrations stay the same everywhere."""

    def __init__(self, *, fields, name):
        super().__init__(fields=fields, name=name, opclasses=["gin_trgm_ops"] * len(fields))

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs.pop("opclasses", None)
        return path, args, kwargs

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Index(fields=self.fields, name=self.name).create_sql(model, schema_editor)
        return super().create_sql(model, schema_editor, using, **kwargs)
