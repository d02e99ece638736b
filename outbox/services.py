"""Queue a message in the caller's transaction; send what is due; enqueue without harm.

outbox_add writes the row inside the transaction of the change that causes the message, so
the message exists exactly when the change does. After commit a task is enqueued to send it
at once; if the broker is down that fails quietly (logged once a minute) and the periodic
outbox_send_due sends it within a minute of the broker being back. A failed send (SMTP down)
leaves the row due again after a backoff, with the error for the admin."""

import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .handlers import handler_name, resolve
from .models import MessageKind, OutboxMessage

logger = logging.getLogger(__name__)

# Retries wait 1, 2, 4, … minutes after each failed attempt, at most 6 hours.
BACKOFF_FIRST = datetime.timedelta(minutes=1)
BACKOFF_MAX = datetime.timedelta(hours=6)
# Sent rows are kept this long (for the admin and for the key's once-only check), then removed.
KEEP_SENT = datetime.timedelta(days=30)
# A run stops taking new rows after this long, inside the task's soft time limit of 240 s.
RUN_BUDGET_SECONDS = 180
# A run stops after this many failures in a row (a mail server that is down would otherwise
# be tried for every due row, each waiting for its timeout).
STOP_AFTER_FAILURES = 20


def backoff(attempts: int) -> datetime.timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return RETRY_POLICIES[MessageKind.MAIL].backoff(attempts)


@dataclass(frozen=True)
class RetryPolicy:
    """How a kind of message is retried: waits of `first`, doubling, at most `most`; with
    `give_up_after`, the last try is that long after the row was queued, and a row that
    fails then ends unsent (due_at NULL, outcome "given up")."""

    first: datetime.timedelta = BACKOFF_FIRST
    most: datetime.timedelta = BACKOFF_MAX
    give_up_after: datetime.timedelta | None = None

    def backoff(self, attempts: int) -> datetime.timedelta:
        if attempts < 1:
            return datetime.timedelta(0)
        return min(self.first * 2 ** min(attempts - 1, 20), self.most)

    def next_try(
        self, *, attempts: int, now: datetime.datetime, created_at: datetime.datetime
    ) -> datetime.datetime | None:
        """When to try again after the `attempts`-th failure; None: give up."""
        due = now + self.backoff(attempts)
        if self.give_up_after is None:
            return due
        last = created_at + self.give_up_after
        if now >= last:
            return None
        return min(due, last)


RETRY_POLICIES: dict[str, RetryPolicy] = {
    # A mail is tried until it goes out (an SMTP outage of a day still ends in the inbox).
    MessageKind.MAIL: RetryPolicy(),
    # A webhook is tried 1, 2, 4 … minutes apart, at most 6 hours, the last time 24 hours
    # after it was queued; then its endpoint is switched off (webhooks.handlers).
    MessageKind.WEBHOOK: RetryPolicy(give_up_after=datetime.timedelta(hours=24)),
}


# Enqueueing after commit: never an error for the user.


class _LogOnce:
    """Log a broker failure at most once per interval per process, with how many were
    swallowed in between: an outage under load is one line a minute, not one per request."""

    interval = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = None
        self._suppressed = 0

    def reset(self) -> None:
        with self._lock:
            self._last = None
            self._suppressed = 0

    def error(self, task_name: str, error: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last < self.interval:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        logger.warning(
            "Could not queue %s (%s: %s); the periodic sweep will do the work. "
            "%d more failures since the last message.",
            task_name,
            type(error).__name__,
            error,
            suppressed,
        )


broker_errors = _LogOnce()


# A request waits at most about a second for a broker that is down: one connection attempt,
# one retry of the publish, no waiting in between.
ENQUEUE_CONNECT = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "timeout": 1}
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}


def enqueue(task, *args, **kwargs) -> bool:
    """task.apply_async without raising and without waiting long: a broker that is down is
    logged (once a minute) and False returned. Only for work that a periodic task also picks
    up from the database, so a message lost here is late, never lost."""
    options = kwargs.pop("options", {})
    if task.app.conf.task_always_eager:  # tests, and a run without a worker: in process
        task.apply_async(args=args, kwargs=kwargs, **options)
        return True
    try:
        with task.app.pool.acquire(block=True, timeout=1) as connection:
            connection.ensure_connection(**ENQUEUE_CONNECT)
            task.apply_async(
                args=args,
                kwargs=kwargs,
                connection=connection,
                retry=True,
                retry_policy=ENQUEUE_RETRY_POLICY,
                **options,
            )
    except Exception as error:
        broker_errors.error(getattr(task, "name", str(task)), error)
        return False
    return True


def task_by_name(name: str):
    """The task registered in the Celery app as `name`; NotRegistered (a KeyError) if none.

    A worker imports every app's tasks module when it starts; the web process only those
    something imported, so the first unknown name imports them all (Celery's own discovery,
    which it otherwise runs only in a worker)."""
    if name not in current_app.tasks:
        current_app.autodiscover_tasks(force=True)
    return current_app.tasks[name]


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """enqueue() the task registered as `task_name` ("portal.tasks.import_job_run") once the
    current transaction has committed (at once outside one).

    The one way a service starts a task: by name, so that services need not import their
    tasks modules (which import the services). The name is looked up in the Celery app's
    registry now, so a wrong name fails in the caller's transaction, not after its commit.
    The registry's task honours task_always_eager (tests), as app.send_task would not."""
    task = task_by_name(task_name)
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


# Writing rows.


def outbox_add(
    *,
    key: str,
    handler: Callable | str,
    payload: dict | None = None,
    organisation_id: int | None = None,
    kind: str = MessageKind.MAIL,
    due_at: datetime.datetime | None = None,
    send_after_commit: bool = True,
    ordering_key: str = "",
) -> OutboxMessage | None:
    """Queue a message in the caller's transaction; None when its key is queued already.

    `handler` is a function registered with outbox_handler, or its registered name; the row
    stores the name. Rows with the same `ordering_key` are sent in the order they were
    queued: one waits while an earlier one of its key is unsent (and not given up).

    After commit the sender is asked to send it at once (best effort: see enqueue)."""
    name = handler_name(handler)
    if OutboxMessage.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                key=key,
                kind=kind,
                handler=name,
                payload=payload or {},
                organisation_id=organisation_id,
                due_at=due_at or timezone.now(),
                ordering_key=ordering_key,
            )
    except IntegrityError:
        # queued by a concurrent transaction meanwhile
        return None
    if send_after_commit:
        enqueue_on_commit("outbox.tasks.outbox_send", ids=[message.pk])
    return message


# Sending.


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return {"sent": self.sent, "failed": self.failed}


def _claim(
    *, now: datetime.datetime, ids: Iterable[int] | None, skip_kinds: Iterable[str] = ()
) -> OutboxMessage | None:
    """Lock the next due row, skipping rows another sender holds, rows of the kinds in
    `skip_kinds`, and rows held back behind an earlier unsent row of their ordering key.

    The earlier row counts while it is unsent and still due (not given up), also while
    another sender holds it: that sender's commit (sent) is what lets the next one go."""
    rows = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
        sent_at__isnull=True, due_at__isnull=False
    )
    if ids is None:
        rows = rows.filter(due_at__lte=now)
    else:
        # Asked for by name (just queued): due, or never tried yet.
        rows = rows.filter(Q(due_at__lte=now) | Q(attempts=0), pk__in=list(ids))
    skip_kinds = list(skip_kinds)
    if skip_kinds:
        rows = rows.exclude(kind__in=skip_kinds)
    earlier = OutboxMessage.objects.filter(
        ordering_key=OuterRef("ordering_key"),
        sent_at__isnull=True,
        due_at__isnull=False,
        pk__lt=OuterRef("pk"),
    )
    rows = rows.exclude(~Q(ordering_key="") & Exists(earlier))
    return rows.order_by("due_at", "pk").first()


def _deliver(message: OutboxMessage, *, now: datetime.datetime) -> bool:
    message.attempts += 1
    handler = None
    try:
        with transaction.atomic():
            handler = resolve(message.handler)
            outcome = handler(**message.payload)
    except Exception as error:
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        policy = RETRY_POLICIES.get(message.kind, RETRY_POLICIES[MessageKind.MAIL])
        message.due_at = policy.next_try(
            attempts=message.attempts, now=now, created_at=message.created_at
        )
        update = ["attempts", "last_error", "due_at"]
        if message.due_at is None:
            message.outcome = "given up"
            update.append("outcome")
        message.save(update_fields=update)
        logger.warning(
            "Outgoing message %s failed (attempt %d), next try at %s: %s",
            message.key,
            message.attempts,
            message.due_at.isoformat() if message.due_at else "never (given up)",
            message.last_error,
        )
        failed = getattr(handler, "outbox_failed", None)
        if failed is not None:
            # In the claim's transaction: what it writes commits with the failed attempt.
            failed(message=message, gave_up=message.due_at is None)
        return False
    message.sent_at = timezone.now()
    update = ["attempts", "sent_at"]
    if isinstance(outcome, str):
        message.outcome = outcome[:200]
        update.append("outcome")
    if getattr(handler, "outbox_forget_payload", False):
        # a rendered mail (a confirmation link, say) is not kept once it went out
        message.payload = {}
        update.append("payload")
    message.save(update_fields=update)
    return True


def outbox_send_due(
    *,
    now: datetime.datetime | None = None,
    ids: Iterable[int] | None = None,
    limit: int = 1000,
) -> SendResult:
    """Send the messages that are due (or those of `ids`), each in its own transaction: the
    row is locked while it is sent and marked sent in the same commit, so two senders at
    once never send one message twice. A failure is recorded on the row, which is due again
    after the backoff; it does not stop the others."""
    now = now or timezone.now()
    started = time.monotonic()
    ids = list(ids) if ids is not None else None
    result = SendResult()
    # Counted per kind: a mail server that is down stops the mails of this run, a receiver
    # that is down the webhooks, and neither holds up the other.
    failures_in_a_row: dict[str, int] = {}
    stopped: set[str] = set()
    while result.sent + result.failed < limit:
        if time.monotonic() - started > RUN_BUDGET_SECONDS:
            break
        with transaction.atomic():
            message = _claim(now=now, ids=ids, skip_kinds=stopped)
            if message is None:
                break
            if _deliver(message, now=now):
                result.sent += 1
                failures_in_a_row[message.kind] = 0
            else:
                result.failed += 1
                failures_in_a_row[message.kind] = failures_in_a_row.get(message.kind, 0) + 1
                if failures_in_a_row[message.kind] >= STOP_AFTER_FAILURES:
                    # the mail server is down, most likely: the rest wait for the next run
                    stopped.add(message.kind)
    return result


def outbox_send_keys(keys: Iterable[str]) -> int:
    """Send the unsent messages of these keys now (those in backoff wait for their time);
    for periodic tasks that queue messages and send them in the same run."""
    ids = list(
        OutboxMessage.objects.filter(key__in=list(keys), sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    return outbox_send_due(ids=ids).sent if ids else 0


def outbox_prune(*, now: datetime.datetime | None = None) -> int:
    """Remove rows sent longer ago than KEEP_SENT, and rows that ended unsent (given up,
    cancelled) and were queued longer ago than that."""
    now = now or timezone.now()
    deleted, _rows = OutboxMessage.objects.filter(
        Q(sent_at__lt=now - KEEP_SENT)
        | Q(sent_at__isnull=True, due_at__isnull=True, created_at__lt=now - KEEP_SENT)
    ).delete()
    return deleted
