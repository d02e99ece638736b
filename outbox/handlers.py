"""What the outbox may call: functions marked with outbox_handler, named by their dotted path."""

from collections.abc import Callable

from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from portal.mail import mail_send_once


class UnknownHandler(LookupError):
    pass


def outbox_handler(function: Callable) -> Callable:
    """Mark a function as one the outbox may call with a row's payload as keyword arguments.

    A handler sends its message at most once however often it is called (a mail key, or a
    "sent at" column checked under a row lock), and raises when sending failed."""
    function.outbox_handler = True
    return function


def handler_name(function: Callable) -> str:
    name = f"{function.__module__}.{function.__qualname__}"
    if not getattr(function, "outbox_handler", False) or resolve(name) is not function:
        raise UnknownHandler(f"{name} is not an outbox handler.")
    return name


def resolve(name: str) -> Callable:
    try:
        function = import_string(name)
    except ImportError as error:
        raise UnknownHandler(f"{name} is not an outbox handler.") from error
    if not getattr(function, "outbox_handler", False):
        raise UnknownHandler(f"{name} is not an outbox handler.")
    return function


@outbox_handler
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
