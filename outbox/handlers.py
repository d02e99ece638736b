"""What the outbox may call: functions registered with outbox_handler under a stable name.

A row stores the name, not the function's dotted path, so a handler may move to another
module without stranding the rows queued before the move. Each app imports its handler
modules in its AppConfig.ready(), so the web process and every Celery worker know all names
before the first row is sent."""

from collections.abc import Callable

# Stable name -> the function the outbox calls with a row's payload as keyword arguments.
HANDLERS: dict[str, Callable] = {}

NAME_LENGTH = 200  # OutboxMessage.handler's max_length


class UnknownHandler(LookupError):
    pass


def outbox_handler(name: str) -> Callable[[Callable], Callable]:
    """Register a function as the outbox's handler `name` ("mail.deliver", "repairs.…").

    A handler sends its message at most once however often it is called (a mail key, or a
    "sent at" column checked under a row lock), and raises when sending failed. The name is
    stored on queued rows: never rename it without a data migration of OutboxMessage.handler.
    A handler whose function sets `outbox_forget_payload = True` has the row's payload
    removed once it is sent."""
    if not name or len(name) > NAME_LENGTH:
        raise ValueError(f"An outbox handler's name has 1 to {NAME_LENGTH} characters: {name!r}.")

    def register(function: Callable) -> Callable:
        known = HANDLERS.get(name)
        if known is not None and _where(known) != _where(function):
            raise ValueError(f"The outbox handler name {name!r} is taken by {_where(known)}.")
        HANDLERS[name] = function
        function.outbox_handler = name
        return function

    return register


def _where(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def handler_name(handler: Callable | str) -> str:
    """The registered name of a handler, given as its function or its name; UnknownHandler
    for anything not registered."""
    if isinstance(handler, str):
        resolve(handler)
        return handler
    name = getattr(handler, "outbox_handler", None)
    if not isinstance(name, str) or HANDLERS.get(name) is not handler:
        raise UnknownHandler(f"{handler!r} is not a registered outbox handler.")
    return name


def resolve(name: str) -> Callable:
    """The function registered under `name`; UnknownHandler if there is none."""
    try:
        return HANDLERS[name]
    except KeyError:
        raise UnknownHandler(f"{name!r} is not a registered outbox handler.") from None
