"""The request's timeline in words a tenant reads (the words are the lifecycle table's)."""

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from contractors.models import DaypartKind

from .lifecycle import LIFECYCLE


def when_text(starts_at: datetime.datetime, daypart: str) -> tuple[str, str]:
    day = formats.date_format(timezone.localtime(starts_at), "l j F")
    return day, str(DaypartKind(daypart).label) if daypart in DaypartKind.values else ""


class _Details(dict):
    """What an event's words may name, worked out from its data when the words name it."""

    def __init__(self, data: dict):
        super().__init__()
        self.data = data

    def __missing__(self, key: str) -> str:
        if key == "contractor":
            return self.data.get("contractor", _("the contractor"))
        if key in ("day", "daypart") and self.data.get("starts_at"):
            day, daypart = when_text(
                datetime.datetime.fromisoformat(self.data["starts_at"]),
                self.data.get("daypart", ""),
            )
            self.update(day=day, daypart=daypart)
            return self[key]
        raise KeyError(key)


def event_text(status: str, data: dict, previous: str) -> str:
    """The line of one status event: the reason's own words, or the words for a status that
    follows itself (a visit planned right after another one moves it; after a follow-up it is
    new), or the status's words; an event without the details its words name reads them bare."""
    stage = LIFECYCLE[status]
    words = stage.tenant_event_reasons.get(data.get("reason"))
    if words is None:
        words = (
            stage.tenant_event_repeated
            if previous == status and stage.tenant_event_repeated
            else stage.tenant_event
        )
    try:
        return str(words) % _Details(data)
    except KeyError:
        return str(stage.tenant_event)


def tenant_timeline(events) -> list[dict]:
    """One line per status event: when, and what happened in plain words."""
    lines = []
    previous = ""
    for event in events:
        if not event.status:
            continue
        text = event_text(event.status, event.data or {}, previous)
        previous = event.status
        note = event.note if LIFECYCLE[event.status].tenant_reads_note else ""
        lines.append({"at": event.created_at, "text": text, "note": note, "status": event.status})
    return lines
