"""iCalendar (.ics) invitations for a visit's daypart, in Europe/Amsterdam time."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def appointment_ics(
    *,
    uid: str,
    sequence: int,
    starts_at,
    ends_at,
    summary: str,
    location: str,
    description: str,
    organiser_email: str,
    cancelled: bool = False,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Ketenportaal//Reparaties//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", starts_at.astimezone(AMSTERDAM))
    event.add("dtend", ends_at.astimezone(AMSTERDAM))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("organizer", f"mailto:{organiser_email}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def default_organiser() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
