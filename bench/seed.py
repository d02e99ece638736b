"""Seed a PostgreSQL database with the reference size of a shared installation.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_bench \\
        .venv/bin/python bench/seed.py --dwellings 100000 --requests 1000000 --associations 10

    .venv/bin/python bench/seed.py --scale 0.001 --reset     # 1/1000 of it, for CI

Creates the database if it is missing and migrates it, refuses a database that holds data
(--reset drops and recreates it), then fills everything the pages read: associations, their
staff, contractors (some shared by several associations) with planners and craftsmen, areas,
postcode rules, contracts, dayparts, weekly schedules and slots from the start of the history
until four weeks ahead, dwellings, tenancies and tenant accounts, and ~3 years of repair
requests with their visits, timeline, survey invitations and answers. The status mix follows
the age of a request: old ones are mostly completed (some cancelled or rejected), recent ones
routed, planned, waiting for a follow-up or overdue.

Small tables go through the ORM (bulk_create), the large ones through COPY on parallel
connections. Every CHECK, UNIQUE and exclusion constraint holds during the load; foreign keys
are checked once at the end with one anti-join per key instead of per row. A column added to a
model later gets its default (or NULL); a NOT NULL column without a default stops the seed
with its name. Afterwards the seed runs ANALYZE, the refresh/rebuild commands the project
has (stored dwelling areas, the KPI rollup) and VACUUM ANALYZE.

Everything is drawn from one seeded random generator: the same arguments give the same data
(apart from "now", which anchors the history).
"""

import argparse
import bisect
import datetime
import json
import math
import random
import secrets
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench._common import (
    BENCH_PASSWORD,
    database_ensure,
    django_setup,
    environment,
    git_commit,
    load_average,
    timed,
)

REFERENCE = {"dwellings": 100_000, "requests": 1_000_000, "associations": 10, "tenants": 50_000}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC
DAY = 86400.0
HOUR = 3600.0

PLACES = [
    "Eindhoven", "Tilburg", "Breda", "Helmond", "Oss", "Venlo", "Zwolle", "Deventer",
    "Amersfoort", "Leeuwarden", "Groningen", "Assen", "Emmen", "Almelo", "Hengelo", "Arnhem",
    "Nijmegen", "Delft", "Leiden", "Haarlem",
]  # fmt: skip
STREET_ROOTS = [
    "Kerk", "Molen", "Linden", "Eiken", "Beuken", "Merel", "Lijster", "Vinken", "Rozen", "Tulp",
    "Narcis", "Anjer", "Rembrandt", "Vermeer", "Wilhelmina", "Juliana", "Beatrix", "Oranje",
    "Nassau", "Dorps", "School", "Stations", "Haven", "Brink", "Akker", "Weide", "Heide",
    "Zand", "Berken", "Populier", "Wilgen", "Esdoorn", "Kastanje", "Hazelaar", "Meidoorn",
    "Sparren", "Kievit", "Reiger", "Zwaluw", "Spreeuwen",
]  # fmt: skip
STREET_SUFFIXES = ["straat", "laan", "weg", "hof", "plein", "dreef", "singel", "kade"]
FIRST_NAMES = [
    "Anna", "Sanne", "Fatima", "Linda", "Esra", "Joyce", "Ingrid", "Maria", "Sophie", "Emma",
    "Daan", "Henk", "Mohamed", "Bram", "Tom", "Ruud", "Kees", "Jan", "Ahmed", "Luuk",
]  # fmt: skip
LAST_NAMES = [
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "Yilmaz", "Kaya", "El Amrani", "Nguyen", "Willems",
]  # fmt: skip
CONTRACTOR_SURNAMES = [
    "Hermans", "Peeters", "Jansen", "De Vries", "Bakker", "Visser", "Smit", "Meijer", "De Boer",
    "Mulder", "De Groot", "Bos", "Vos", "Hendriks", "Van Leeuwen", "Dekker", "Brouwer",
    "De Wit", "Dijkstra", "Smits", "De Graaf", "Van der Meer", "Kok", "Jacobs", "Van Dijk",
    "Verhoeven", "Willems", "Van Gils", "Maas", "Martens",
]  # fmt: skip
CONTRACTOR_KINDS = [
    "Bouwbedrijf {}", "{} Installatietechniek", "{} Onderhoud", "Aannemersbedrijf {}",
    "{} Vastgoedonderhoud",
]  # fmt: skip
BIG_CONTRACTOR = "Van den Berg Onderhoud"
AREA_NAMES = ["Noord", "Centrum", "Zuid"]
AREA_SHARES = (0.5, 0.8)  # cumulative share of an association's postcodes in areas 0 and 1
DWELLING_TYPES = [
    ("TUS", 30), ("HOE", 10), ("TWE", 6), ("VRI", 1), ("BEN", 10), ("BOV", 10),
    ("GAL", 15), ("POF", 12), ("MAI", 4), ("KAM", 2),
]  # fmt: skip
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
FORBIDDEN_LETTERS = {"SA", "SD", "SS"}
DWELLINGS_PER_POSTCODE = 20
FOLLOW_UP_REASONS = ("MAT", "DIS", "INS", "OFF", "ONV")
CANCEL_REASONS = [
    "Zelf opgelost, de monteur hoeft niet meer te komen.",
    "Het probleem is vanzelf verdwenen.",
    "Ik ben verhuisd.",
]
REJECT_REASONS = [
    "Dit herstelt de huurder zelf; het advies is uitgelegd.",
    "Geen reparatie: schade door de huurder, op kosten van de huurder.",
]
NOTES = [
    "Huurder gebeld, komt uit op de voorgestelde tijd.",
    "Materiaal besteld, levertijd een week.",
    "Sleutel ligt bij de buren op nummer 5.",
    "Let op: hond aanwezig.",
]
COMMENTS_LOW = [
    "De monteur kwam te laat en het lekt nog steeds.",
    "Drie keer een afspraak gemaakt voordat het gemaakt was.",
    "Niemand heeft laten weten dat de afspraak niet doorging.",
]
COMMENTS_HIGH = ["Snel en netjes opgelost, dank!", "Vriendelijke vakman.", ""]

# Shares of the status mix (tuned so 1M requests give ~1.14M visits and ~4.4M events).
P_URGENT = 0.04
P_CANCEL = 0.05
P_REJECT = 0.02
P_TWO_VISITS = 0.09
P_THREE_VISITS = 0.02
P_NO_ACCESS = 0.25
P_MOVED = 0.04
P_LATE_RECORD = 0.2
P_NOTE = 0.12
P_ANSWERED = 0.42
P_PORTAL = 0.7

# fmt: off
REQUEST_COLUMNS = [
    "id", "organisation_id", "reference", "dwelling_id", "tenancy_id", "reported_by_id",
    "channel", "category_id", "description", "access_notes", "contact_phone", "is_urgent",
    "status", "contract_id", "contractor_id", "created_at", "routed_at", "completed_at",
    "unrouted_alert_sent_at", "cancel_reason", "first_time_fix", "contractor_confirmed_at",
    "emergency_alert_sent_at", "planning_note",
]
APPOINTMENT_COLUMNS = [
    "id", "organisation_id", "request_id", "contractor_id", "slot_id", "starts_at", "ends_at",
    "status", "booked_by_id", "created_at", "sequence", "reminder_sent_at", "craftsman_id",
    "outcome", "outcome_reason", "outcome_notes", "recorded_at",
]
EVENT_COLUMNS = [
    "id", "organisation_id", "request_id", "kind", "status", "actor_id", "note", "data",
    "created_at",
]
INVITATION_COLUMNS = [
    "id", "organisation_id", "request_id", "contractor_id", "area_id", "token", "email",
    "language", "status", "due_at", "sent_at", "reminder_sent_at", "expires_at", "created_at",
]
RESPONSE_COLUMNS = [
    "id", "organisation_id", "invitation_id", "contractor_id", "area_id", "overall_grade",
    "fixed_first_time", "on_time", "craftsman_grade", "comment", "may_contact", "answered_at",
    "follow_up_handled_at", "follow_up_handled_by_id", "follow_up_alert_sent_at",
]
# fmt: on


@dataclass
class Sizes:
    dwellings: int
    requests: int
    associations: int
    tenants: int
    years: float

    @classmethod
    def from_args(cls, args) -> "Sizes":
        scale = args.scale
        dwellings = args.dwellings or max(10, round(REFERENCE["dwellings"] * scale))
        requests = args.requests or max(20, round(REFERENCE["requests"] * scale))
        associations = args.associations or REFERENCE["associations"]
        tenants = args.tenants or max(5, dwellings // 2)
        if dwellings < 4 * associations:
            raise SystemExit("Give at least 4 dwellings per association.")
        return cls(dwellings, requests, associations, tenants, args.years)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the reference size")
    parser.add_argument("--dwellings", type=int, help="default 100000 × scale")
    parser.add_argument("--requests", type=int, help="default 1000000 × scale")
    parser.add_argument("--associations", type=int, help="default 10")
    parser.add_argument("--tenants", type=int, help="tenant accounts; default dwellings / 2")
    parser.add_argument("--years", type=float, default=3.0, help="history length (default 3)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    parser.add_argument("--database-url", help="default: $DATABASE_URL or kp_bench")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM ANALYZE")
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# COPY with columns the seed does not know about


class Copier:
    """COPY rows into a model's table. Columns added to the model after this script was
    written get their default (a constant, or a callable per row) or NULL; a NOT NULL column
    without a default stops the seed and names the column."""

    def __init__(self, model, columns: list[str]):
        from django.db import connection
        from django.db.models import NOT_PROVIDED

        self.model = model
        self.table = model._meta.db_table
        self.columns = list(columns)
        known = {f.column for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise SystemExit(f"{self.table} has no column(s) {unknown}; update bench/seed.py.")
        self.extra_constant: list = []
        self.extra_callable: list = []
        self.defaulted: list[str] = []
        extra_columns: list[str] = []
        callable_columns: list[str] = []
        for model_field in model._meta.concrete_fields:
            if model_field.column in columns or getattr(model_field, "generated", False):
                continue
            if model_field.db_default is not NOT_PROVIDED:
                self.defaulted.append(f"{model_field.name} (database default)")
                continue
            if model_field.has_default():
                if callable(model_field.default):
                    callable_columns.append(model_field.column)
                    self.extra_callable.append(model_field)
                else:
                    extra_columns.append(model_field.column)
                    self.extra_constant.append(
                        model_field.get_db_prep_save(model_field.get_default(), connection)
                    )
            elif model_field.null:
                extra_columns.append(model_field.column)
                self.extra_constant.append(None)
            else:
                raise SystemExit(
                    f"{self.table}.{model_field.column} is NOT NULL without a default: "
                    "give bench/seed.py a value for it."
                )
            self.defaulted.append(model_field.name)
        self.all_columns = [*self.columns, *extra_columns, *callable_columns]
        self.extra = tuple(self.extra_constant)
        self.rows = 0

    def sql(self) -> str:
        columns = ", ".join(f'"{column}"' for column in self.all_columns)
        return f'COPY "{self.table}" ({columns}) FROM STDIN'

    @contextmanager
    def open(self, cursor):
        with cursor.copy(self.sql()) as copy:
            self._copy = copy
            yield copy

    def write(self, row: tuple) -> None:
        if self.extra_callable:
            row = (*row, *self.extra, *(f.get_default() for f in self.extra_callable))
        elif self.extra:
            row = (*row, *self.extra)
        self._copy.write_row(row)
        self.rows += 1


def bulk_connection():
    """A raw psycopg connection for COPY: foreign keys are checked at the end in one pass."""
    import os

    import psycopg

    connection = psycopg.connect(os.environ["DATABASE_URL"])
    connection.execute("SET session_replication_role = replica")
    connection.execute("SET synchronous_commit = off")
    return connection


def copy_rows(model, columns: list[str], rows) -> int:
    copier = Copier(model, columns)
    with bulk_connection() as connection, connection.cursor() as cursor:
        with copier.open(cursor):
            for row in rows:
                copier.write(row)
        connection.commit()
    _report_defaults(copier)
    return copier.rows


_reported: set[str] = set()


def _report_defaults(copier: Copier) -> None:
    if copier.defaulted and copier.table not in _reported:
        _reported.add(copier.table)
        print(f"    {copier.table}: filled with defaults: {', '.join(copier.defaulted)}")


# ---------------------------------------------------------------------------------------------
# Time helpers (epoch seconds; local dates in Amsterdam)


def ts_of(day: datetime.date, hour: int = 0, minute: int = 0) -> float:
    return datetime.datetime.combine(day, datetime.time(hour, minute), AMSTERDAM).timestamp()


def dt(ts: float | None) -> datetime.datetime | None:
    return None if ts is None else datetime.datetime.fromtimestamp(ts, UTC)


def local_date(ts: float) -> datetime.date:
    return datetime.datetime.fromtimestamp(ts, AMSTERDAM).date()


# ---------------------------------------------------------------------------------------------
# The world: plain Python objects with the ids the database will hold


@dataclass
class AreaInfo:
    index: int  # position in the list of all areas
    organisation_id: int
    organisation_index: int
    name: str
    id: int = 0
    contract_id: int = 0
    contractor_index: int = 0
    contractor_id: int = 0
    contractor_name: str = ""
    planner_id: int = 0
    craftsmen: list[int] = field(default_factory=list)
    requests: int = 0
    slot_capacity: int = 0


@dataclass
class DwellingInfo:
    __slots__ = (
        "area",
        "hi",
        "id",
        "lo",
        "organisation_id",
        "organisation_index",
        "postcode",
        "segments",
        "weight",
    )
    id: int
    organisation_id: int
    organisation_index: int
    area: AreaInfo | None
    postcode: str
    lo: float  # first moment requests may be reported (history start or bought)
    hi: float  # last moment (now, or sold)
    weight: float
    segments: list  # (start_ts, end_ts, tenancy_id, tenant_user_id or None)


@dataclass(slots=True)
class Visit:
    slot: int
    starts: float
    ends: float
    daypart: str
    status: str
    booked_by: int | None
    booked_at: float
    craftsman: int | None = None
    outcome: str = ""
    reason: str = ""
    recorded: float | None = None


class Life:
    """One request from report to its end (or to now), with its visits and timeline, drawn
    from the seeder's random generator and written by Seeder._write_all."""

    def __init__(self, seeder: "Seeder", created: float, dwelling: DwellingInfo, first_visit_id):
        self.seeder = seeder
        self.rng = seeder.rng
        self.now = seeder.now
        self.created = created
        self.dwelling = dwelling
        self.first_visit_id = first_visit_id
        self.tenancy_id = self.tenant_id = None
        for start, end, tenancy_id, tenant_id in dwelling.segments:
            if start <= created <= end:
                self.tenancy_id, self.tenant_id = tenancy_id, tenant_id
                break
        rng = self.rng
        self.urgent = rng.random() < P_URGENT
        pool = seeder.emergency_categories if self.urgent else seeder.landlord_categories
        categories = pool[dwelling.organisation_id]
        self.category_id, descriptions = categories[int(rng.random() * len(categories))]
        self.description = descriptions[int(rng.random() * len(descriptions))]
        if self.tenant_id is not None and rng.random() < P_PORTAL:
            self.channel, self.reported_by = "portal", self.tenant_id
        elif self.tenancy_id is not None:
            self.channel, self.reported_by = ("phone", "api")[rng.random() < 0.15], None
        else:
            self.channel, self.reported_by = "staff", None
        self.status = "submitted"
        self.contract_id = self.contractor_id = None
        self.routed_at = self.completed_at = self.unrouted_alert = self.first_time_fix = None
        self.confirmed_at = self.alert_at = None
        self.cancel_reason = self.planning_note = ""
        self.visits: list[Visit] = []
        self.events: list[tuple] = []

    def event(self, at, status, actor, note="", data=None, kind="status") -> None:
        self.events.append((at, kind, status, actor, note, json.dumps(data) if data else "{}"))
        if kind == "status":
            self.status = status

    def run(self) -> None:
        self.event(self.created, "submitted", self.reported_by)
        if self.dwelling.area is None:
            self.unrouted()
        else:
            self.routed()

    def unrouted(self) -> None:
        """No rule covers the postcode: it waits for staff; old ones were closed by staff."""
        rng = self.rng
        self.event(
            self.created + 1,
            "unrouted",
            self.reported_by,
            data={"postcode": self.dwelling.postcode},
        )
        self.unrouted_alert = self.created + 60
        if self.now - self.created > 30 * DAY:
            at = self.created + rng.uniform(HOUR, 10 * DAY)
            if rng.random() < 0.6:
                self.cancel_reason = CANCEL_REASONS[0]
                self.event(at, "cancelled", self.reported_by, self.cancel_reason)
            else:
                staff = self.seeder.staff_ids[self.dwelling.organisation_index]
                self.event(at, "rejected", staff, REJECT_REASONS[1])

    def routed(self) -> None:
        rng, now, area = self.rng, self.now, self.dwelling.area
        self.contract_id, self.contractor_id = area.contract_id, area.contractor_id
        self.routed_at = self.created + 1
        self.event(self.routed_at, "routed", self.reported_by,
                   data={"contractor": area.contractor_name, "area": area.name})  # fmt: skip
        planner = area.planner_id
        if self.urgent:
            confirmed = self.created + rng.uniform(300, 9000)
            if confirmed <= now:
                self.confirmed_at = confirmed
                if confirmed - self.created > 2 * HOUR:
                    self.alert_at = self.created + 2 * HOUR + 300
        # Cancelled by the tenant or rejected before the first visit.
        roll = rng.random()
        end_at, end_status = None, ""
        if roll < P_CANCEL:
            end_at, end_status = self.created + rng.uniform(HOUR, 5 * DAY), "cancelled"
        elif roll < P_CANCEL + P_REJECT:
            end_at, end_status = self.created + rng.uniform(HOUR, 3 * DAY), "rejected"
        roll = rng.random()
        visits = 3 if roll < P_THREE_VISITS else 2 if roll < P_THREE_VISITS + P_TWO_VISITS else 1
        if self.channel == "portal" and not self.urgent:
            booked_at, booked_by = self.created + 60, self.reported_by
            desired = booked_at + rng.randint(1, 10) * DAY
        elif self.urgent:
            booked_at, booked_by = self.created + rng.uniform(600, 3600), planner
            desired = booked_at
        else:
            booked_at, booked_by = self.created + rng.uniform(1800, 2 * DAY), planner
            desired = booked_at + rng.randint(1, 10) * DAY
        for number in range(visits):
            if booked_at > now or (end_at and booked_at > end_at):
                break
            visit = self.book(desired, booked_at, booked_by)
            if visit is None:
                self.planning_note = "Geen vrij dagdeel in de komende 14 dagen."
                break
            if number == 0 and not self.urgent and rng.random() < P_MOVED:
                visit = self.maybe_move(visit, end_at)
            if end_at and end_at < visit.starts:
                if end_at <= now:  # cancelled or rejected before the visit: so is the visit
                    visit.status = "cancelled"
                    self.visits.append(visit)
                    break
                end_at = None  # still ahead: the request stays open
            visit.craftsman = area.craftsmen[int(rng.random() * len(area.craftsmen))]
            self.visits.append(visit)
            recorded = visit.ends - rng.uniform(0, 3 * HOUR)
            if rng.random() < P_LATE_RECORD:
                recorded = visit.ends + min(rng.expovariate(1 / (10 * DAY)), 60 * DAY)
            self.seeder.booked[visit.slot] += 1
            if recorded > now:
                visit.status = "planned"
                if visit.starts > now + DAY and rng.random() < 0.3:
                    visit.craftsman = None
                break
            visit.status, visit.recorded = "done", recorded
            if number == visits - 1:
                visit.outcome = "fixed"
            elif rng.random() < P_NO_ACCESS:
                visit.outcome, visit.reason = "no_access", "AFW"
            else:
                visit.outcome, visit.reason = "follow_up", rng.choice(FOLLOW_UP_REASONS)
            data = {
                "outcome": visit.outcome,
                "reason": visit.reason,
                "visit": self.first_visit_id + len(self.visits) - 1,
            }
            if visit.outcome == "fixed":
                self.completed_at = recorded
                self.first_time_fix = all(v.outcome in ("", "no_access") for v in self.visits[:-1])
                self.event(recorded, "completed", visit.craftsman, data=data)
                break
            self.event(recorded, "follow_up", visit.craftsman, data=data)
            booked_at, booked_by = recorded + rng.uniform(HOUR, 2 * DAY), planner
            desired = booked_at + rng.randint(1, 7) * DAY
        if end_at and end_at <= now and self.status in ("routed", "scheduled"):
            if end_status == "cancelled":
                self.cancel_reason = rng.choice(CANCEL_REASONS)
                self.event(end_at, "cancelled", self.reported_by, self.cancel_reason)
            else:
                self.event(end_at, "rejected", planner, rng.choice(REJECT_REASONS))
            for visit in self.visits:
                if visit.status == "planned":
                    visit.status = "cancelled"
                    self.seeder.booked[visit.slot] -= 1
        if rng.random() < P_NOTE:
            at = self.created + rng.uniform(0, (self.completed_at or now) - self.created)
            self.event(at, "", planner, rng.choice(NOTES), kind="note")

    def book(self, desired: float, booked_at: float, booked_by) -> Visit | None:
        slot = self.seeder.find_slot(self.dwelling.area, desired, booked_at)
        if slot is None:
            return None
        starts, ends, daypart = self.seeder.slot_times(slot)
        visit = Visit(slot, starts, ends, daypart, "planned", booked_by, booked_at)
        self.scheduled(visit, booked_at, booked_by)
        return visit

    def scheduled(self, visit: Visit, at: float, actor) -> None:
        data = {
            "contractor": self.dwelling.area.contractor_name,
            "starts_at": dt(visit.starts).isoformat(),
            "ends_at": dt(visit.ends).isoformat(),
            "daypart": visit.daypart,
        }
        self.event(at, "scheduled", actor, data=data)

    def maybe_move(self, visit: Visit, end_at) -> Visit:
        """The tenant or planner moves the first visit to a later daypart before it happens."""
        rng = self.rng
        if visit.starts - visit.booked_at < 2 * DAY:
            return visit
        moved_at = visit.booked_at + rng.uniform(0.2, 0.8) * (visit.starts - visit.booked_at)
        if moved_at >= self.now or (end_at and moved_at > end_at):
            return visit
        slot = self.seeder.find_slot(
            self.dwelling.area, visit.starts + rng.randint(1, 5) * DAY, moved_at
        )
        if slot is None:
            return visit
        visit.status = "moved"
        self.visits.append(visit)
        starts, ends, daypart = self.seeder.slot_times(slot)
        actor = self.reported_by or self.dwelling.area.planner_id
        again = Visit(slot, starts, ends, daypart, "planned", actor, moved_at)
        self.scheduled(again, moved_at, actor)
        return again

    def survey(self) -> dict:
        """The invitation of a completed request: pending until due, then sent, answered by
        about 40%, reminded after 3 days, expired after 14."""
        rng, now = self.rng, self.now
        due = self.completed_at + 2 * HOUR
        result = {"due": due, "sent": None, "reminder": None, "expires": None, "answer": None}
        result["status"] = "pending"
        if due > now:
            return result
        sent = min(due + rng.uniform(0, 600), now)
        expires = sent + 14 * DAY
        answered = None
        if rng.random() < P_ANSWERED:
            answered = sent + min(rng.expovariate(1 / (1.5 * DAY)), 13 * DAY)
            if answered > now:
                answered = None
        reminder = sent + 3 * DAY if sent + 3 * DAY <= min(now, answered or now) else None
        status = "answered" if answered else ("expired" if expires <= now else "sent")
        result.update(sent=sent, expires=expires, reminder=reminder, status=status)
        if answered:
            grade = rng.choices(range(1, 11), (2, 1, 1, 2, 4, 9, 20, 30, 20, 11))[0]
            low = grade <= 5
            handled = answered + rng.uniform(HOUR, 5 * DAY) if low else None
            if handled and handled > now - 7 * DAY:
                handled = None
            staff = self.seeder.staff_ids[self.dwelling.organisation_index]
            fixed_first_time = (
                self.first_time_fix if rng.random() < 0.9 else not self.first_time_fix
            )
            result["answer"] = (
                grade,
                fixed_first_time,
                rng.random() < 0.9,
                max(1, min(10, grade + rng.choice((-1, 0, 0, 1)))),
                rng.choice(COMMENTS_LOW if low else COMMENTS_HIGH),
                rng.random() < 0.3,
                dt(answered),
                dt(handled),
                staff if handled else None,
                dt(answered + 600) if low and answered + 600 < now else None,
            )
        return result


class Seeder:
    def __init__(self, sizes: Sizes, seed: int):
        from django.contrib.auth.hashers import make_password
        from django.utils import timezone

        self.sizes = sizes
        self.rng = random.Random(seed)
        self.now = timezone.now().timestamp()
        self.today = local_date(self.now)
        self.history_start = self.now - sizes.years * 365 * DAY
        self.history_start_date = local_date(self.history_start)
        self.password = make_password(BENCH_PASSWORD)
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.user_emails: dict[int, str] = {}

    # -- small tables through the ORM ----------------------------------------------------------

    def organisations(self) -> None:
        from django.contrib.auth.models import Group

        from portal.models import Organisation, StaffMembership, User
        from portal.roles import staff_group_sync

        count = self.sizes.associations
        self.organisations_list = Organisation.objects.bulk_create(
            [
                Organisation(
                    name=f"Woonstichting {PLACES[i % len(PLACES)]}"
                    + (f" {i // len(PLACES) + 1}" if i >= len(PLACES) else ""),
                    slug=f"bench-{i + 1:02d}",
                    emergency_phone=f"0{40 + i % 50} 211 99 {i % 100:02d}",
                    contact_phone=f"0{40 + i % 50} 211 90 00",
                    contact_email=f"info@bench-{i + 1:02d}.example.nl",
                    mail_from=f"noreply@bench-{i + 1:02d}.example.nl",
                    survey_delay_hours=2,
                )
                for i in range(count)
            ]
        )
        self.cities = [PLACES[i % len(PLACES)] for i in range(count)]
        group: Group = staff_group_sync()
        staff = User.objects.bulk_create(
            [
                User(
                    email=f"medewerker@bench-{i + 1:02d}.example.nl",
                    password=self.password,
                    first_name="Medewerker",
                    last_name=f"Bench {i + 1:02d}",
                    is_staff=True,
                )
                for i in range(count)
            ]
            + [
                User(
                    email="beheer@bench.example.nl",
                    password=self.password,
                    first_name="Beheer",
                    is_staff=True,
                    is_superuser=True,
                )
            ]
        )
        self.staff_ids = [user.pk for user in staff[:count]]
        group.user_set.add(*staff[:count])
        StaffMembership.objects.bulk_create(
            [
                StaffMembership(user=user, organisation=organisation)
                for user, organisation in zip(staff, self.organisations_list, strict=False)
            ]
        )
        self.counts["organisations"] = count
        self.counts["staff users"] = count + 1

    def contractors(self) -> None:
        """Three areas per association, each with a contract. The big contractor holds the
        largest area of 80% of the associations (40% of all work); neighbours share one."""
        from contractors.models import (
            Area,
            Contract,
            Contractor,
            ContractorMembership,
            ContractorRole,
            ContractTypeFee,
            Daypart,
            DaypartKind,
        )
        from portal.models import User

        count = self.sizes.associations
        keys: list[str] = []
        assignment: dict[tuple[int, int], str] = {}
        big_until = math.ceil(0.8 * count)
        for i in range(count):
            for j in range(3):
                if j == 0:
                    key = "big" if i < big_until else f"own-{i}-0"
                elif j == 1:
                    key = f"own-{i}-1"
                else:
                    key = f"pair-{i // 2}"
                assignment[i, j] = key
                if key not in keys:
                    keys.append(key)
        names = []
        for index, key in enumerate(keys):
            if key == "big":
                names.append(BIG_CONTRACTOR)
            else:
                surname = CONTRACTOR_SURNAMES[index % len(CONTRACTOR_SURNAMES)]
                kind = CONTRACTOR_KINDS[index % len(CONTRACTOR_KINDS)]
                suffix = f" {index // len(CONTRACTOR_SURNAMES) + 1}" if index >= 30 else ""
                names.append(kind.format(surname) + suffix)
        contractors = Contractor.objects.bulk_create(
            [
                Contractor(
                    name=name,
                    kvk_number=f"6{index:07d}",
                    contact_name=f"Planning {name}",
                    email=f"planning@aannemer-{index:02d}.example.nl",
                    phone=f"040 290 {index:02d} {index:02d}",
                )
                for index, name in enumerate(names)
            ]
        )
        self.contractor_list = contractors
        self.contractor_key_index = {key: index for index, key in enumerate(keys)}
        dayparts = Daypart.objects.bulk_create(
            [
                Daypart(
                    contractor=contractor,
                    kind=kind,
                    start_time=datetime.time(start),
                    end_time=datetime.time(end),
                )
                for contractor in contractors
                for kind, start, end in (
                    (DaypartKind.MORNING, 8, 12),
                    (DaypartKind.AFTERNOON, 12, 17),
                )
            ]
        )
        # contractor index -> (morning id, afternoon id)
        self.dayparts = {
            index: (dayparts[2 * index].pk, dayparts[2 * index + 1].pk)
            for index in range(len(contractors))
        }
        # Planner and craftsmen: the big contractor has more craftsmen.
        users = []
        roles = []
        for index, contractor in enumerate(contractors):
            domain = f"aannemer-{index:02d}.example.nl"
            craftsmen = 12 if keys[index] == "big" else 4
            users.append(
                User(
                    email=f"planner@{domain}",
                    password=self.password,
                    first_name="Planner",
                    last_name=contractor.name,
                )
            )
            roles.append((index, ContractorRole.PLANNER))
            for number in range(1, craftsmen + 1):
                users.append(
                    User(
                        email=f"vakman{number}@{domain}",
                        password=self.password,
                        first_name=FIRST_NAMES[(index + number) % len(FIRST_NAMES)],
                        last_name=f"{LAST_NAMES[(index * 3 + number) % len(LAST_NAMES)]}",
                    )
                )
                roles.append((index, ContractorRole.CRAFTSMAN))
        users = User.objects.bulk_create(users)
        ContractorMembership.objects.bulk_create(
            [
                ContractorMembership(user=user, contractor=contractors[index], role=role)
                for user, (index, role) in zip(users, roles, strict=True)
            ]
        )
        planners: dict[int, int] = {}
        craftsmen_of: dict[int, list[int]] = {}
        for user, (index, role) in zip(users, roles, strict=True):
            if role == ContractorRole.PLANNER:
                planners[index] = user.pk
            else:
                craftsmen_of.setdefault(index, []).append(user.pk)
        # Areas and contracts
        self.areas: list[AreaInfo] = []
        area_rows = []
        for i, organisation in enumerate(self.organisations_list):
            for j, name in enumerate(AREA_NAMES):
                info = AreaInfo(
                    index=len(self.areas),
                    organisation_id=organisation.pk,
                    organisation_index=i,
                    name=name,
                )
                contractor_index = self.contractor_key_index[assignment[i, j]]
                info.contractor_index = contractor_index
                info.contractor_id = contractors[contractor_index].pk
                info.contractor_name = contractors[contractor_index].name
                info.planner_id = planners[contractor_index]
                info.craftsmen = craftsmen_of[contractor_index]
                self.areas.append(info)
                area_rows.append(Area(organisation=organisation, name=name))
        for info, area in zip(self.areas, Area.objects.bulk_create(area_rows), strict=True):
            info.id = area.pk
        valid_from = datetime.date(self.history_start_date.year - 1, 1, 1)
        contracts = Contract.objects.bulk_create(
            [
                Contract(
                    organisation_id=info.organisation_id,
                    contractor_id=info.contractor_id,
                    area_id=info.id,
                    valid_from=valid_from,
                    fee_per_dwelling_year=f"{150 + (info.index * 7) % 50}.00",
                    sroi_pledge_percent=f"{3 + info.index % 3}.00",
                )
                for info in self.areas
            ]
        )
        for info, contract in zip(self.areas, contracts, strict=True):
            info.contract_id = contract.pk
        # The largest area of each association pays less for flats and rooms.
        ContractTypeFee.objects.bulk_create(
            [
                ContractTypeFee(
                    organisation_id=info.organisation_id,
                    contract_id=info.contract_id,
                    dwelling_type=dwelling_type,
                    fee_per_dwelling_year=fee,
                )
                for info in self.areas
                if info.name == AREA_NAMES[0]
                for dwelling_type, fee in (("GAL", "158.00"), ("KAM", "95.00"))
            ]
        )
        self.counts["contractors"] = len(contractors)
        self.counts["contractor users"] = len(users)
        self.counts["areas"] = len(self.areas)

    def categories(self) -> None:
        from demo.catalogue import CATEGORIES, DESCRIPTIONS
        from repairs.models import RepairCategory, Responsibility

        rows = [
            RepairCategory(
                organisation=organisation,
                name_nl=spec.name_nl,
                name_en=spec.name_en,
                room_code=spec.room,
                defect_code=spec.defect,
                trade_code=spec.trade,
                responsibility=spec.responsibility,
                tenant_advice_nl=spec.advice_nl,
                tenant_advice_en=spec.advice_en,
                is_emergency=spec.emergency,
            )
            for organisation in self.organisations_list
            for spec in CATEGORIES
        ]
        created = RepairCategory.objects.bulk_create(rows)
        self.landlord_categories: dict[int, list] = {}
        self.emergency_categories: dict[int, list] = {}
        for category in created:
            if category.responsibility != Responsibility.LANDLORD:
                continue
            target = (
                self.emergency_categories if category.is_emergency else self.landlord_categories
            )
            descriptions = DESCRIPTIONS.get(category.name_nl) or [
                f"{category.name_nl}. Graag zo snel mogelijk langskomen."
            ]
            target.setdefault(category.organisation_id, []).append((category.pk, descriptions))
        self.counts["repair categories"] = len(created)

    # -- dwellings, tenancies and tenants ------------------------------------------------------

    def plan_dwellings(self) -> None:
        """Postcodes per association: a block of four-digit groups, 20 letter pairs each,
        20 dwellings per postcode; areas are ranges of the groups; two full-postcode rules per
        association move a postcode of the first area to the second; a few dwellings lie in
        a group no rule covers (their reports wait as unrouted)."""
        from contractors.models import PostcodeRule

        rng = self.rng
        sizes = self.sizes
        count = sizes.associations
        step = 8999 // count
        pairs = [
            a + b
            for a in POSTCODE_LETTERS
            for b in POSTCODE_LETTERS
            if a + b not in FORBIDDEN_LETTERS
        ]
        self.dwelling_rows: list[tuple] = []
        self.dwellings: list[DwellingInfo] = []
        self._vacant: list[bool] = []
        self._since: list[datetime.date] = []
        rules = []
        per_association = [sizes.dwellings // count] * count
        for i in range(sizes.dwellings % count):
            per_association[i] += 1
        types = [t for t, _ in DWELLING_TYPES]
        type_weights = [w for _, w in DWELLING_TYPES]
        next_id = 1
        old_from = self.history_start_date - datetime.timedelta(days=1)
        for i, organisation in enumerate(self.organisations_list):
            total = per_association[i]
            uncovered = max(1, total // 500)
            covered = total - uncovered
            postcodes = max(3, math.ceil(covered / DWELLINGS_PER_POSTCODE))
            groups = max(3, math.ceil(postcodes / DWELLINGS_PER_POSTCODE))
            if groups + 1 >= step:
                raise SystemExit("Too many dwellings per association for its postcode block.")
            base = 1000 + i * step
            g1 = max(1, min(groups - 2, round(groups * AREA_SHARES[0])))
            g2 = max(g1 + 1, min(groups - 1, round(groups * AREA_SHARES[1])))
            bounds = [(0, g1 - 1), (g1, g2 - 1), (g2, groups - 1)]
            areas = self.areas[3 * i : 3 * i + 3]
            for j, (start, end) in enumerate(bounds):
                rules.append(
                    PostcodeRule(
                        organisation_id=organisation.pk,
                        area_id=areas[j].id,
                        range_start=base + start,
                        range_end=base + end,
                    )
                )
            letters = pairs[:]
            rng.shuffle(letters)
            first_of_group = [math.ceil(g * postcodes / groups) for g in range(groups)]
            # Two postcodes of the first area are served by the second (full beats range).
            moved = {f"{base}{letters[0]}", f"{base}{letters[1]}"} if g1 >= 1 else set()
            for postcode in sorted(moved):
                rules.append(
                    PostcodeRule(
                        organisation_id=organisation.pk, area_id=areas[1].id, postcode=postcode
                    )
                )
            city = self.cities[i]
            for k in range(total):
                if k < covered:
                    p = k * postcodes // covered
                    g = p * groups // postcodes
                    postcode = f"{base + g}{letters[p - first_of_group[g]]}"
                    area_index = 0 if g < g1 else (1 if g < g2 else 2)
                    area = areas[1] if postcode in moved else areas[area_index]
                    street_key = (i * 7919 + p // 3) % (len(STREET_ROOTS) * len(STREET_SUFFIXES))
                    house_number = (p % 3) * 30 + (k - math.ceil(p * covered / postcodes)) + 1
                    place = city
                else:
                    u = k - covered
                    postcode = f"{base + groups}{letters[u // DWELLINGS_PER_POSTCODE]}"
                    area = None
                    street_key = (i * 31 + 7) % (len(STREET_ROOTS) * len(STREET_SUFFIXES))
                    house_number = u % DWELLINGS_PER_POSTCODE + 1 + 100 * (u // 400)
                    place = f"{city}-Buiten"
                street = (
                    STREET_ROOTS[street_key % len(STREET_ROOTS)]
                    + STREET_SUFFIXES[street_key // len(STREET_ROOTS)]
                )
                roll = rng.random()
                until = None
                if roll < 0.03:  # bought during the history
                    start = self.history_start_date + datetime.timedelta(
                        days=rng.randint(
                            30, max(31, (self.today - self.history_start_date).days - 60)
                        )
                    )
                elif roll < 0.05:  # sold during the history
                    start = datetime.date(rng.randint(1955, 2015), rng.randint(1, 12), 1)
                    until = self.history_start_date + datetime.timedelta(
                        days=rng.randint(
                            90, max(91, (self.today - self.history_start_date).days - 30)
                        )
                    )
                else:
                    start = datetime.date(rng.randint(1955, 2018), rng.randint(1, 12), 1)
                    start = min(start, old_from)
                vacant = until is None and rng.random() < 0.03
                dwelling_type = rng.choices(types, type_weights)[0]
                suffix = "A" if dwelling_type == "BOV" else ""
                self.dwelling_rows.append(
                    (
                        next_id,
                        organisation.pk,
                        f"V{i + 1:02d}-{k + 1:07d}",
                        street,
                        house_number,
                        suffix,
                        postcode,
                        place,
                        dwelling_type,
                        start,
                        until,
                        vacant,
                    )
                )
                self._vacant.append(vacant)
                self._since.append(start)
                lo = max(self.history_start, ts_of(start, 9))
                hi = min(self.now, ts_of(until, 17)) if until else self.now
                self.dwellings.append(
                    DwellingInfo(
                        id=next_id,
                        organisation_id=organisation.pk,
                        organisation_index=i,
                        area=area,
                        postcode=postcode,
                        lo=lo,
                        hi=max(hi, lo + HOUR),
                        weight=rng.lognormvariate(0, 0.9),
                        segments=[],
                    )
                )
                next_id += 1
        PostcodeRule.objects.bulk_create(rules)
        self.counts["postcode rules"] = len(rules)

    def write_dwellings(self) -> None:
        from portal.models import Dwelling

        columns = [
            "id",
            "organisation_id",
            "reference",
            "street",
            "house_number",
            "house_number_suffix",
            "postcode",
            "city",
            "dwelling_type",
            "in_portfolio_from",
            "in_portfolio_until",
            "is_vacant",
        ]
        self.counts["dwellings"] = copy_rows(Dwelling, columns, self.dwelling_rows)
        del self.dwelling_rows

    def tenancies(self) -> None:
        """One tenancy per let dwelling; a fifth changed tenant during the history; sold and
        vacant dwellings' last tenancy ended. Tenant accounts claim current tenancies."""
        from portal.models import Tenancy, User

        rng = self.rng
        rows = []
        current: list[tuple[int, int]] = []  # (row index, dwelling index)
        number = 0
        start_ts_of: dict[int, float] = {}
        for d_index, dwelling in enumerate(self.dwellings):
            first = local_date(dwelling.lo) if dwelling.lo > self.history_start else None
            period_start = first or max(
                self._since[d_index],
                self.history_start_date - datetime.timedelta(days=rng.randint(30, 4000)),
            )
            ends = local_date(dwelling.hi) if dwelling.hi < self.now - DAY else None
            vacant_since = None
            if ends is None and self._vacant[d_index]:
                vacant_since = self.today - datetime.timedelta(days=rng.randint(5, 90))
                if vacant_since <= period_start:
                    vacant_since = None
            change = None
            span = ((ends or vacant_since or self.today) - period_start).days
            if span > 400 and rng.random() < 0.2:
                change = period_start + datetime.timedelta(days=rng.randint(200, span - 100))
            pieces = []
            if change:
                pieces.append((period_start, change - datetime.timedelta(days=1)))
                pieces.append((change, ends or vacant_since))
            else:
                pieces.append((period_start, ends or vacant_since))
            for start, end in pieces:
                number += 1
                tenancy_id = number
                rows.append(
                    [
                        tenancy_id,
                        dwelling.organisation_id,
                        dwelling.id,
                        f"HC{dwelling.organisation_index + 1:02d}{number:08d}",
                        start,
                        end,
                        None,
                        None,
                    ]
                )
                start_ts = ts_of(start)
                end_ts = ts_of(end, 23, 59) if end else float("inf")
                dwelling.segments.append([start_ts, end_ts, tenancy_id, None])
                start_ts_of[tenancy_id] = start_ts
                if end is None:
                    current.append((len(rows) - 1, d_index))
        claimed = rng.sample(current, min(self.sizes.tenants, len(current)))
        first_user_id = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        users = []
        for offset, (row_index, d_index) in enumerate(claimed):
            user_id = first_user_id + offset
            row = rows[row_index]
            claimed_at = max(start_ts_of[row[0]], self.history_start) + rng.uniform(0, 30 * DAY)
            claimed_at = min(claimed_at, self.now - HOUR)
            row[6] = user_id
            row[7] = dt(claimed_at)
            for segment in self.dwellings[d_index].segments:
                if segment[2] == row[0]:
                    segment[3] = user_id
            email = f"huurder{offset + 1:06d}@bench.example.nl"
            self.user_emails[user_id] = email
            users.append(
                (
                    user_id,
                    self.password,
                    None,
                    False,
                    FIRST_NAMES[offset % len(FIRST_NAMES)],
                    LAST_NAMES[(offset * 7) % len(LAST_NAMES)],
                    False,
                    True,
                    dt(claimed_at),
                    email,
                    f"06{rng.randint(10000000, 99999999)}",
                    "nl",
                )
            )
        user_columns = [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "first_name",
            "last_name",
            "is_staff",
            "is_active",
            "date_joined",
            "email",
            "phone",
            "language",
        ]
        self.counts["tenant users"] = copy_rows(User, user_columns, users)
        tenancy_columns = [
            "id",
            "organisation_id",
            "dwelling_id",
            "contract_number",
            "start_date",
            "end_date",
            "tenant_id",
            "claimed_at",
        ]
        self.counts["tenancies"] = copy_rows(Tenancy, tenancy_columns, map(tuple, rows))

    # -- requests, visits, timeline, surveys -----------------------------------------------------

    def sample_requests(self) -> None:
        """Which dwelling reports when: busy dwellings report more; the volume grows a little
        over the years. Sorted by time, so ids and reference numbers follow the report time."""
        rng = self.rng
        cumulative = []
        total = 0.0
        for dwelling in self.dwellings:
            total += dwelling.weight
            cumulative.append(total)
        picks = rng.choices(
            range(len(self.dwellings)), cum_weights=cumulative, k=self.sizes.requests
        )
        samples = []
        for d_index in picks:
            dwelling = self.dwellings[d_index]
            ts = dwelling.lo + (dwelling.hi - dwelling.lo) * rng.random() ** 0.85
            samples.append((ts, d_index))
            if dwelling.area is not None:
                dwelling.area.requests += 1
        samples.sort()
        self.samples = samples

    def slot_grid(self) -> None:
        """Weekday slots (morning, afternoon) per area from the history's start to four weeks
        ahead, with capacity for the area's work and room to spare."""
        from contractors.models import WeeklySchedule

        first = self.history_start_date - datetime.timedelta(days=3)
        last = self.today + datetime.timedelta(weeks=4)
        days = []
        day = first
        while day <= last:
            if day.weekday() < 5:
                days.append(day)
            day += datetime.timedelta(days=1)
        self.grid_days = days
        self.grid_ordinals = [d.toordinal() for d in days]
        self.grid_starts: list[float] = []
        self.grid_ends: list[float] = []
        for day in days:
            self.grid_starts += [ts_of(day, 8), ts_of(day, 12)]
            self.grid_ends += [ts_of(day, 12), ts_of(day, 17)]
        history_weekdays = max(1, bisect.bisect_left(self.grid_ordinals, self.today.toordinal()))
        self.capacity: list[int] = []
        schedules = []
        for info in self.areas:
            per_daypart = info.requests * 1.25 / (history_weekdays * 2)
            capacity = max(2, math.ceil(per_daypart * 1.6) + 1)
            info.slot_capacity = capacity
            morning, afternoon = self.dayparts[info.contractor_index]
            for weekday in range(5):
                for daypart_id in (morning, afternoon):
                    schedules.append(
                        WeeklySchedule(
                            organisation_id=info.organisation_id,
                            contractor_id=info.contractor_id,
                            area_id=info.id,
                            weekday=weekday,
                            daypart_id=daypart_id,
                            capacity=capacity,
                        )
                    )
        WeeklySchedule.objects.bulk_create(schedules)
        self.counts["weekly schedules"] = len(schedules)
        per_area = len(days) * 2
        self.slots_per_area = per_area
        self.booked = [0] * (per_area * len(self.areas))
        self.slot_capacity = [info.slot_capacity for info in self.areas for _ in range(per_area)]

    def find_slot(self, area: AreaInfo, desired: float, after: float) -> int | None:
        """The first slot of the area from the desired moment on that starts after `after` and
        has room; None past the end of the grid."""
        position = bisect.bisect_left(self.grid_ordinals, local_date(desired).toordinal()) * 2
        if self.rng.random() < 0.5:
            position += 1
        base = area.index * self.slots_per_area
        for candidate in range(position, min(position + 80, self.slots_per_area)):
            if self.grid_starts[candidate] <= after:
                continue
            index = base + candidate
            if self.booked[index] < self.slot_capacity[index]:
                return index
        return None

    def slot_times(self, index: int) -> tuple[float, float, str]:
        local = index % self.slots_per_area
        return self.grid_starts[local], self.grid_ends[local], ("morning", "afternoon")[local % 2]

    def requests(self) -> None:
        """Write requests, visits, timeline events, invitations and answers on five parallel
        COPY streams, in one pass over the reports sorted by time."""
        from repairs.models import Appointment, RepairEvent, RepairRequest
        from surveys.models import SurveyInvitation, SurveyResponse

        copiers = {
            "request": Copier(RepairRequest, REQUEST_COLUMNS),
            "appointment": Copier(Appointment, APPOINTMENT_COLUMNS),
            "event": Copier(RepairEvent, EVENT_COLUMNS),
            "invitation": Copier(SurveyInvitation, INVITATION_COLUMNS),
            "response": Copier(SurveyResponse, RESPONSE_COLUMNS),
        }
        connections = [bulk_connection() for _name in copiers]
        try:
            with ExitStack() as stack:
                for copier, connection in zip(copiers.values(), connections, strict=True):
                    stack.enter_context(copier.open(stack.enter_context(connection.cursor())))
                self._write_all(**{name: copier.write for name, copier in copiers.items()})
            # Foreign keys are checked afterwards (finish), so the commit order is free.
            for connection in connections:
                connection.commit()
        finally:
            for connection in connections:
                connection.close()
        for copier in copiers.values():
            _report_defaults(copier)
        self.counts["repair requests"] = copiers["request"].rows
        self.counts["visits (appointments)"] = copiers["appointment"].rows
        self.counts["timeline events"] = copiers["event"].rows
        self.counts["survey invitations"] = copiers["invitation"].rows
        self.counts["survey responses"] = copiers["response"].rows

    def _write_all(self, *, request, appointment, event, invitation, response) -> None:
        ids = {"appointment": 0, "event": 0, "invitation": 0, "response": 0}
        counters: dict[int, int] = {}
        for request_id, (created, d_index) in enumerate(self.samples, start=1):
            dwelling = self.dwellings[d_index]
            year = datetime.datetime.fromtimestamp(created, AMSTERDAM).year
            counters[year] = counters.get(year, 0) + 1
            life = Life(self, created, dwelling, first_visit_id=ids["appointment"] + 1)
            life.run()
            org = dwelling.organisation_id
            request(
                (
                    request_id, org, f"R-{year}-{counters[year]:06d}", dwelling.id,
                    life.tenancy_id, life.reported_by, life.channel, life.category_id,
                    life.description, "", f"06{10000000 + request_id % 89999999}", life.urgent,
                    life.status, life.contract_id, life.contractor_id, dt(created),
                    dt(life.routed_at), dt(life.completed_at), dt(life.unrouted_alert),
                    life.cancel_reason, life.first_time_fix, dt(life.confirmed_at),
                    dt(life.alert_at), life.planning_note,
                )
            )  # fmt: skip
            for sequence, visit in enumerate(life.visits):
                ids["appointment"] += 1
                reminded = visit.starts - 14 * HOUR
                if reminded > self.now or visit.status not in ("planned", "done"):
                    reminded = None
                appointment(
                    (
                        ids["appointment"], org, request_id, life.contractor_id, visit.slot + 1,
                        dt(visit.starts), dt(visit.ends), visit.status, visit.booked_by,
                        dt(visit.booked_at), sequence, dt(reminded), visit.craftsman,
                        visit.outcome, visit.reason, "", dt(visit.recorded),
                    )
                )  # fmt: skip
            life.events.sort(key=lambda item: item[0])
            for at, kind, status, actor, note, data in life.events:
                ids["event"] += 1
                event((ids["event"], org, request_id, kind, status, actor, note, data, dt(at)))
            if life.status == "completed" and life.tenant_id is not None:
                ids["invitation"] += 1
                survey = life.survey()
                invitation(
                    (
                        ids["invitation"], org, request_id, life.contractor_id, dwelling.area.id,
                        secrets.token_urlsafe(32), self.user_emails[life.tenant_id], "nl",
                        survey["status"], dt(survey["due"]), dt(survey["sent"]),
                        dt(survey["reminder"]), dt(survey["expires"]),
                        dt(life.completed_at + 60),
                    )
                )  # fmt: skip
                if survey["answer"]:
                    ids["response"] += 1
                    response((ids["response"], org, ids["invitation"], life.contractor_id,
                              dwelling.area.id, *survey["answer"]))  # fmt: skip
            if request_id % 100_000 == 0:
                print(f"    {request_id:>9,} requests written", flush=True)
        self.reference_counters = counters

    def write_slots(self) -> None:
        from contractors.models import Slot

        def rows():
            per_area = self.slots_per_area
            for info in self.areas:
                morning, afternoon = self.dayparts[info.contractor_index]
                base = info.index * per_area
                for local in range(per_area):
                    index = base + local
                    booked = self.booked[index]
                    yield (
                        index + 1,
                        info.organisation_id,
                        info.contractor_id,
                        info.id,
                        (morning, afternoon)[local % 2],
                        self.grid_days[local // 2],
                        dt(self.grid_starts[local]),
                        dt(self.grid_ends[local]),
                        max(self.slot_capacity[index], booked),
                        booked,
                        "",
                    )

        columns = [
            "id",
            "organisation_id",
            "contractor_id",
            "area_id",
            "daypart_id",
            "date",
            "starts_at",
            "ends_at",
            "capacity",
            "booked",
            "note",
        ]
        self.counts["slots"] = copy_rows(Slot, columns, rows())

    def finish(self) -> None:
        """Reference counters, identity sequences, and a check of every foreign key of the
        tables filled by COPY (one anti-join each)."""
        from django.db import connection

        from contractors.models import Slot
        from portal.models import Dwelling, Tenancy, User
        from repairs.models import Appointment, ReferenceCounter, RepairEvent, RepairRequest
        from surveys.models import SurveyInvitation, SurveyResponse

        ReferenceCounter.objects.bulk_create(
            [
                ReferenceCounter(year=year, last_number=n)
                for year, n in self.reference_counters.items()
            ],
            update_conflicts=True,
            unique_fields=["year"],
            update_fields=["last_number"],
        )
        copied = [
            Dwelling, User, Tenancy, Slot, RepairRequest, Appointment, RepairEvent,
            SurveyInvitation, SurveyResponse,
        ]  # fmt: skip
        broken = []
        with connection.cursor() as cursor:
            for model in copied:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f'GREATEST((SELECT MAX(id) FROM "{table}"), 1))'
                )
                for model_field in model._meta.concrete_fields:
                    if not model_field.is_relation:
                        continue
                    parent = model_field.related_model._meta
                    cursor.execute(
                        f'SELECT COUNT(*) FROM "{table}" c WHERE c."{model_field.column}" IS NOT NULL '  # noqa: S608
                        f'AND NOT EXISTS (SELECT 1 FROM "{parent.db_table}" p '
                        f'WHERE p."{model_field.target_field.column}" = c."{model_field.column}")'
                    )
                    orphans = cursor.fetchone()[0]
                    if orphans:
                        broken.append(f"{table}.{model_field.column}: {orphans} rows")
        if broken:
            raise SystemExit("Foreign keys without a row behind them: " + "; ".join(broken))

    def refresh_commands(self) -> list[str]:
        """Run the project's commands that derive data from what was just loaded."""
        from django.core.management import call_command, get_commands

        commands = get_commands()
        wanted = [
            name
            for name in sorted(commands)
            if name == "refresh_dwelling_areas"
            or ("rollup" in name and any(w in name for w in ("rebuild", "refresh")))
            or name in {"kpi_rollup_rebuild", "rebuild_kpi_rollup", "kpi_rollup"}
        ]
        for name in wanted:
            with timed(f"manage.py {name}", self.timings):
                call_command(name)
        return wanted


def vacuum_analyze(timings: dict) -> None:
    import os

    import psycopg

    with (
        timed("VACUUM ANALYZE", timings),
        psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection,
    ):
        connection.execute("VACUUM ANALYZE")


COUNTED_TABLES = [
    "portal_dwelling",
    "portal_user",
    "portal_tenancy",
    "contractors_slot",
    "repairs_repairrequest",
    "repairs_appointment",
    "repairs_repairevent",
    "surveys_surveyinvitation",
    "surveys_surveyresponse",
]


def table_counts() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in COUNTED_TABLES:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
    return counts


def main(argv=None) -> int:
    args = parse_args(argv)
    env = environment(args.database_url)
    url = env["DATABASE_URL"]
    sizes = Sizes.from_args(args)
    started = time.perf_counter()
    print(
        f"Seeding {url.rsplit('/', 1)[-1]}: {sizes.dwellings:,} dwellings, "
        f"{sizes.requests:,} requests, {sizes.associations} associations, "
        f"{sizes.tenants:,} tenant accounts, {sizes.years:g} years "
        f"(load {load_average()}; {git_commit()})",
        flush=True,
    )
    timings: dict[str, float] = {}
    with timed("create database", timings):
        created = database_ensure(url, reset=args.reset)
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    with timed("migrate", timings):
        call_command("migrate", verbosity=0, interactive=False)
    from portal.models import Organisation
    from repairs.models import RepairRequest

    if not created and (Organisation.objects.exists() or RepairRequest.objects.exists()):
        raise SystemExit("The database holds data already: run with --reset to start over.")
    seeder = Seeder(sizes, args.seed)
    seeder.timings = timings
    with timed("associations, staff, contractors, areas, contracts", timings):
        seeder.organisations()
        seeder.contractors()
        seeder.categories()
    with timed("plan dwellings and postcode rules", timings):
        seeder.plan_dwellings()
    with timed("COPY dwellings", timings):
        seeder.write_dwellings()
    with timed("COPY tenancies and tenant accounts", timings):
        seeder.tenancies()
    with timed("sample report times", timings):
        seeder.sample_requests()
    with timed("weekly schedules", timings):
        seeder.slot_grid()
    with timed("COPY requests, visits, events, invitations, answers", timings):
        seeder.requests()
    with timed("COPY slots", timings):
        seeder.write_slots()
    with timed("reference counters, sequences, foreign-key check", timings):
        seeder.finish()
    # Statistics first, so the derived-data commands plan their queries on the real sizes.
    with timed("ANALYZE", timings):
        connection.cursor().execute("ANALYZE")
    connection.close()
    refreshed = seeder.refresh_commands()
    if not args.no_vacuum:
        vacuum_analyze(timings)
    total = time.perf_counter() - started
    timings["total"] = round(total, 1)
    print(f"Seeded in {total:.0f} s (load {load_average()}).")
    if not refreshed:
        print("  (no refresh_dwelling_areas / KPI rollup command found)")
    counts = table_counts()
    for name in COUNTED_TABLES:
        print(f"  {name:<32} {counts.get(name, 0):>12,}")
    for name, value in seeder.counts.items():
        if name in {"organisations", "contractors", "areas", "postcode rules", "tenant users"}:
            print(f"  {name:<32} {value:>12,}")
    out = Path(__file__).absolute().parent.parent / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"seed-{url.rsplit('/', 1)[-1]}.json").write_text(
        json.dumps(
            {
                "sizes": sizes.__dict__,
                "timings": timings,
                "counts": seeder.counts,
                "tables": counts,
                "refreshed": refreshed,
                "commit": git_commit(),
                "load_average": load_average(),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
