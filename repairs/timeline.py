"""The request's timeline in words a tenant reads."""

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from contractors.models import DaypartKind

from .lifecycle import TENANT_WORDS, Status


def when_text(starts_at: datetime.datetime, daypart: str) -> tuple[str, str]:
    day = formats.date_format(timezone.localtime(starts_at), "l j F")
    return day, str(DaypartKind(daypart).label) if daypart in DaypartKind.values else ""


def tenant_timeline(events) -> list[dict]:
    """One line per status event: when, and what happened in plain words."""
    lines = []
    previous = ""
    for event in events:
        if not event.status:
            continue
        data = event.data or {}
        if event.status == Status.SCHEDULED and data.get("starts_at"):
            day, daypart = when_text(
                datetime.datetime.fromisoformat(data["starts_at"]), data.get("daypart", "")
            )
            # A visit planned right after another one moves it; after a follow-up it is new.
            template = (
                _("Appointment moved to %(day)s %(daypart)s")
                if previous == Status.SCHEDULED
                else str(TENANT_WORDS[Status.SCHEDULED])
            )
            text = template % {"day": day, "daypart": daypart}
        elif event.status == Status.FOLLOW_UP and data.get("reason") == "AFW":
            text = _("Nobody was home; another appointment is needed")
        elif event.status == Status.ROUTED:
            text = str(TENANT_WORDS[Status.ROUTED]) % {
                "contractor": data.get("contractor", _("the contractor"))
            }
        else:
            text = str(TENANT_WORDS[event.status])
        previous = event.status
        note = event.note if event.status == Status.CANCELLED else ""
        lines.append({"at": event.created_at, "text": text, "note": note, "status": event.status})
    return lines
