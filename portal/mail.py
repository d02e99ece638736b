"""Mails that must be sent exactly once, however often the task that sends them runs."""

from collections.abc import Callable

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from .models import SentMail


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
                SentMail.objects.create(
                    key=key, recipient=", ".join(message.to)[:254], subject=message.subject[:250]
                )
        except IntegrityError:
            return False
        message.send()
        return True
