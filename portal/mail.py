"""Mails that must be sent exactly once, however often the task that sends them runs; and
the outbox's handler of a mail rendered when it was queued ("mail.deliver")."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, router, transaction

from outbox.handlers import outbox_handler

from .models import SentMail

logger = logging.getLogger(__name__)


def _sent_mail(key: str, message: EmailMessage) -> SentMail:
    return SentMail(key=key, recipient=", ".join(message.to)[:254], subject=message.subject[:250])


def mail_send_once(*, key: str, build: Callable[[], EmailMessage]) -> bool:
    """Send the message built by `build` unless a mail with this key went out already.

    The key row is written first, in the same transaction as the sending: a second run
    (or a concurrent one, which waits on the row) finds it and sends nothing; a failed send
    rolls the row back, so a retry sends it after all.
    """
    with transaction.atomic():
        message = build()
        try:
            with transaction.atomic():
                _sent_mail(key, message).save(force_insert=True)
        except IntegrityError:
            return False
        message.send()
        return True


@outbox_handler("mail.deliver")
def mail_deliver(
    *, key: str, subject: str, body: str, to: list[str], from_email: str | None = None
) -> bool:
    """A mail rendered when it was queued (in the language of the request that caused it).
    Its payload is removed once it is sent."""
    return mail_send_once(
        key=key,
        build=lambda: EmailMessage(subject=subject, body=body, from_email=from_email, to=to),
    )


mail_deliver.outbox_forget_payload = True


@dataclass
class MailBatch:
    """What mail_send_once_many did: keys sent now, keys that had gone out before, and keys
    not sent because sending failed (`error`); those have no key row and go out next time."""

    sent: list[str] = field(default_factory=list)
    earlier: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)
    error: Exception | None = None

    @property
    def done(self) -> list[str]:
        return self.sent + self.earlier


def mail_send_once_many(
    items: Sequence[tuple[str, Callable[[], EmailMessage]]],
) -> MailBatch:
    """Send several once-only mails over one mail connection, in the caller's transaction.

    The same guarantee as mail_send_once, for a batch: every key row is written before its
    mail leaves, in the caller's transaction, and a key that exists already is not sent
    again. Sending stops at the first failure: the key rows of the mails not sent are
    removed again, and the caller commits what was sent and then raises `error`, so that a
    mail that went out is never sent twice and one that did not goes out on a later run.
    """
    db = router.db_for_write(SentMail)
    if not transaction.get_connection(db).in_atomic_block:
        raise RuntimeError("mail_send_once_many runs inside the caller's transaction.")
    result = MailBatch()
    keys = [key for key, _build in items]
    # Read where the key rows are written: a replica could still miss one sent just now.
    earlier = set(SentMail.objects.using(db).filter(key__in=keys).values_list("key", flat=True))
    messages = []
    for key, build in items:
        if key in earlier:
            result.earlier.append(key)
        else:
            messages.append((key, build()))
    if not messages:
        return result
    try:
        with transaction.atomic(using=db):
            SentMail.objects.using(db).bulk_create(
                [_sent_mail(key, message) for key, message in messages]
            )
    except IntegrityError:
        # Another sender wrote one of these keys since it was read: one by one, each key
        # row then decides on its own.
        return _one_by_one(messages, result)
    connection = mailers.default
    try:
        connection.open()
        for key, message in messages:
            connection.send_messages([message])
            result.sent.append(key)
    except Exception as error:
        result.error = error
    finally:
        try:
            connection.close()
        except Exception:  # a connection broken by then; what was sent is sent
            logger.warning("Closing the mail connection failed.", exc_info=True)
    if result.error is not None:
        result.unsent = [key for key, _message in messages[len(result.sent) :]]
        SentMail.objects.using(db).filter(key__in=result.unsent).delete()
    return result


def _one_by_one(messages: list[tuple[str, EmailMessage]], result: MailBatch) -> MailBatch:
    for position, (key, message) in enumerate(messages):
        try:
            if mail_send_once(key=key, build=lambda message=message: message):
                result.sent.append(key)
            else:
                result.earlier.append(key)
        except Exception as error:
            result.error = error
            result.unsent = [key for key, _message in messages[position:]]
            break
    return result
