"""Reports read from a replica when there is one; everything else stays on the primary.

    from portal.db_router import reporting_reads

    with reporting_reads():
        rows = kpi_rollup_rows(...)

    @reporting_reads()
    def scorecard(request): ...

Only reads inside reporting_reads() go to the replica (settings.REPORTING_REPLICA, set when
DATABASE_REPLICA_URL is): KPI dashboards, scorecards and CSV downloads, whose rows may be a
moment behind the primary. Every write goes to the primary, also inside the block and also
for an object that was read from the replica. Reads inside a transaction on the primary stay
there, so a view reads what it has just written. Without a replica, or when it cannot be
reached, the reads go to the primary.
"""

import contextlib
import contextvars
import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

_reporting = contextvars.ContextVar("reporting_reads", default=False)
# After a failed connection the replica is left alone this long, per process.
RETRY_AFTER = 30.0
_replica_down_until = 0.0


def _replica() -> str | None:
    return getattr(settings, "REPORTING_REPLICA", None)


def _replica_reachable(alias: str) -> bool:
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    try:
        connections[alias].ensure_connection()
    except DatabaseError as error:
        logger.warning(
            "Replica %r unreachable (%s); reports read from the primary for %.0f s",
            alias,
            error,
            RETRY_AFTER,
        )
        _replica_down_until = time.monotonic() + RETRY_AFTER
        return False
    return True


@contextlib.contextmanager
def reporting_reads():
    """Reads in this block (or decorated function) may come from the replica."""
    alias = _replica()
    token = _reporting.set(alias is not None and _replica_reachable(alias))
    try:
        yield
    finally:
        _reporting.reset(token)


class ReportingRouter:
    """Sends reads inside reporting_reads() to the replica; all else to the default."""

    def db_for_read(self, model, **hints):
        if not _reporting.get():
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return _replica()

    def db_for_write(self, model, **hints):
        # Named, not None: Django would otherwise write an object back to where it was read.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        replica = _replica()
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, replica}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary; migrations run on the primary only.
        return db == DEFAULT_DB_ALIAS
