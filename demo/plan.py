"""The plan: every row the demo holds, computed without the database from one seeded random
generator, so every install gets the same dwellings, tenancies, tenant accounts and reports."""

import datetime
import random
from dataclasses import dataclass

from portal.models import DwellingType
from portal.postcode import FORBIDDEN_LETTERS
from repairs.norms import COMPLETION_WORKING_DAYS, working_days_after

from .catalogue import DESCRIPTIONS, SHOWCASE_CATEGORIES
from .world import (
    AMSTERDAM,
    CONTRACT_PREFIX,
    DWELLINGS_PER_POSTCODE,
    EXTRA_TENANTS,
    HISTORY_UNTIL,
    NEW_FOR_DAYS,
    ORGANISATIONS,
    PLANNED_WITHIN_DAYS,
    POSTCODE_LETTERS,
    REFERENCE_PREFIX,
    SEED,
    STREETS,
    UNCOVERED_POSTCODE_DIGITS,
    UNCOVERED_REFERENCE,
    StreetSpec,
)


@dataclass(frozen=True)
class DwellingPlan:
    organisation: str
    reference: str
    street: str
    house_number: int
    house_number_suffix: str
    postcode: str
    city: str
    dwelling_type: str
    in_portfolio_from: datetime.date
    in_portfolio_until: datetime.date | None
    is_vacant: bool

    @property
    def is_let_today(self) -> bool:
        return not self.is_vacant and self.in_portfolio_until is None


@dataclass(frozen=True)
class TenancyPlan:
    organisation: str
    dwelling_reference: str
    contract_number: str
    start_date: datetime.date
    end_date: datetime.date | None


@dataclass(frozen=True)
class TenantPlan:
    email: str
    first_name: str
    last_name: str
    organisation: str
    contract_number: str
    claimed_at: datetime.datetime


@dataclass(frozen=True)
class RequestPlan:
    organisation: str
    dwelling_reference: str
    contract_number: str | None
    reporter_email: str | None
    category: str  # name_nl
    description: str
    days_ago: int
    outcome: str  # routed, completed, cancelled, rejected, reopened
    contact_phone: str


@dataclass(frozen=True)
class Plan:
    dwellings: list[DwellingPlan]
    tenancies: list[TenancyPlan]
    tenants: list[TenantPlan]
    requests: list[RequestPlan]


def _street_dwellings(rng: random.Random, spec: StreetSpec) -> list[tuple[int, str, str]]:
    """(house number, suffix, dwelling type) of a street, in address order."""
    rows: list[tuple[int, str, str]] = []
    if spec.kind in ("house", "semi"):
        for number in range(1, spec.count + 1):
            if spec.kind == "semi":
                kind = (
                    DwellingType.VRIJSTAAND
                    if rng.random() < 0.15
                    else DwellingType.TWEE_ONDER_EEN_KAP
                )
            else:
                end_of_block = number % 6 in (0, 1) or number == spec.count
                kind = DwellingType.HOEKWONING if end_of_block else DwellingType.TUSSENWONING
            rows.append((number, "", kind))
            roll = rng.random()
            if roll < 0.02:
                rows.append((number, "bis", DwellingType.TUSSENWONING))
            elif roll < 0.06:
                rows.append((number, "A", DwellingType.TUSSENWONING))
    elif spec.kind == "upper":
        for index in range(1, spec.count + 1):
            number = index * 2
            rows.append((number, "", DwellingType.BENEDENWONING))
            rows.append((number, "A", DwellingType.BOVENWONING))
            if rng.random() < 0.2:
                rows.append((number, "B", DwellingType.MAISONNETTE))
    elif spec.kind == "portiek":
        for index in range(spec.count):
            number = 2 + (index // 4) * 2
            rows.append((number, ["", "A", "B", "C"][index % 4], DwellingType.PORTIEKFLAT))
    elif spec.kind == "gallery":
        rows.extend((number, "", DwellingType.GALERIJFLAT) for number in range(1, spec.count + 1))
    elif spec.kind == "rooms":
        rows.extend((3, chr(ord("A") + index), DwellingType.KAMER) for index in range(spec.count))
    else:  # pragma: no cover - a typo in STREETS
        raise ValueError(f"unknown street kind {spec.kind!r}")
    return rows


def _letter_pair(rng: random.Random, used: set[str], digits: int) -> str:
    while True:
        letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
        if letters not in FORBIDDEN_LETTERS and f"{digits}{letters}" not in used:
            used.add(f"{digits}{letters}")
            return letters


def _random_date(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _plan_dwellings(
    rng: random.Random, organisation: str, today: datetime.date
) -> list[DwellingPlan]:
    city, streets = STREETS[organisation]
    prefix = REFERENCE_PREFIX[organisation]
    used = {f"{spec.digits}{spec.letters}" for spec in streets if spec.letters}
    rows: list[DwellingPlan] = []

    def add(**fields) -> None:
        reference = f"{prefix}-{len(rows) + 1:05d}"
        rows.append(DwellingPlan(organisation=organisation, reference=reference, **fields))

    if organisation == "dekempen":
        # Bought in 2025 in Geldrop, where no area has rules yet.
        postcode = (
            f"{UNCOVERED_POSTCODE_DIGITS}{_letter_pair(rng, used, UNCOVERED_POSTCODE_DIGITS)}"
        )
        add(
            street="Mierloseweg",
            house_number=48,
            house_number_suffix="",
            postcode=postcode,
            city="Geldrop",
            dwelling_type=DwellingType.TUSSENWONING,
            in_portfolio_from=datetime.date(2025, 4, 1),
            in_portfolio_until=None,
            is_vacant=False,
        )

    future_until = datetime.date(today.year + 2, 6, 30)
    for spec in streets:
        built = datetime.date(rng.randint(1958, 2016), rng.randint(1, 12), 1)
        letters = spec.letters
        for position, (number, suffix, dwelling_type) in enumerate(_street_dwellings(rng, spec)):
            if not spec.letters and position % DWELLINGS_PER_POSTCODE == 0:
                letters = _letter_pair(rng, used, spec.digits)
            postcode = f"{spec.digits}{letters}"
            in_portfolio_from = built
            if rng.random() < 0.02:
                in_portfolio_from = datetime.date(2024, 7, 1)  # bought from another landlord
            roll = rng.random()
            until = None
            if roll < 0.025 and in_portfolio_from < datetime.date(2024, 1, 1):
                until = rng.choice([datetime.date(2024, 12, 31), datetime.date(2025, 6, 30)])
            elif roll < 0.045:
                until = future_until  # to be sold or demolished
            is_vacant = until is None and rng.random() < 0.04
            add(
                street=spec.name,
                house_number=number,
                house_number_suffix=suffix,
                postcode=postcode,
                city=city,
                dwelling_type=dwelling_type,
                in_portfolio_from=in_portfolio_from,
                in_portfolio_until=until,
                is_vacant=is_vacant,
            )
    return rows


def _plan_tenancies(rng: random.Random, dwellings: list[DwellingPlan]) -> list[TenancyPlan]:
    rows: list[TenancyPlan] = []

    def add(dwelling: DwellingPlan, start: datetime.date, end: datetime.date | None) -> None:
        number = f"{CONTRACT_PREFIX[dwelling.organisation]}{len(rows) + 100001:06d}"
        rows.append(TenancyPlan(dwelling.organisation, dwelling.reference, number, start, end))

    for dwelling in dwellings:
        first = dwelling.in_portfolio_from
        if dwelling.in_portfolio_until and dwelling.in_portfolio_until < HISTORY_UNTIL:
            # Sold: its last tenancy ended the day it left the portfolio.
            last = dwelling.in_portfolio_until
            add(dwelling, _random_date(rng, first, last - datetime.timedelta(days=60)), last)
        elif dwelling.is_vacant:
            ended = datetime.date(2025, 10, 31)
            if first < ended - datetime.timedelta(days=180):
                add(dwelling, _random_date(rng, first, ended - datetime.timedelta(days=180)), ended)
        else:
            start = _random_date(rng, first, HISTORY_UNTIL)
            if rng.random() < 0.2 and (start - first).days > 400:
                previous = _random_date(rng, first, start - datetime.timedelta(days=365))
                add(dwelling, previous, start - datetime.timedelta(days=1))
            add(dwelling, start, None)
    return rows


def _claimed_at(
    rng: random.Random, start: datetime.date, today: datetime.date
) -> datetime.datetime:
    portal_opened = datetime.date(2024, 3, 1)
    day = max(start, portal_opened) + datetime.timedelta(days=rng.randint(3, 40))
    day = min(day, today - datetime.timedelta(days=1))
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=AMSTERDAM
    )


def _days_late(today: datetime.date) -> int:
    """Days ago a report was made that is a working day past the default completion norm
    today, however the weekends and holidays fall."""
    days_ago = 1
    while working_days_after(
        today - datetime.timedelta(days=days_ago), COMPLETION_WORKING_DAYS
    ) >= (today - datetime.timedelta(days=1)):
        days_ago += 1
    return days_ago


def build_plan(today: datetime.date) -> Plan:
    """Every dwelling, tenancy, tenant account and report of the demo, always the same."""
    rng = random.Random(SEED)
    dwellings: list[DwellingPlan] = []
    for organisation in ORGANISATIONS:
        dwellings.extend(_plan_dwellings(rng, organisation, today))
    tenancies = _plan_tenancies(rng, dwellings)
    by_reference = {dwelling.reference: dwelling for dwelling in dwellings}
    current = {
        (tenancy.organisation, tenancy.dwelling_reference): tenancy
        for tenancy in tenancies
        if tenancy.end_date is None
    }

    def current_of(dwelling: DwellingPlan) -> TenancyPlan:
        return current[(dwelling.organisation, dwelling.reference)]

    def let(organisation: str, street: str | None = None):
        return [
            d
            for d in dwellings
            if d.organisation == organisation
            and d.is_let_today
            and (street is None or d.street == street)
            and d.reference != UNCOVERED_REFERENCE
        ]

    # The README's tenants, each in a different contractor's area (Kerkstraat lies in Centrum,
    # Vermeerstraat in Zuid, maasoever is one area); then a few more.
    tenant_homes = [
        ("huurder@example.nl", "Fatima", "El Amrani", let("dekempen", "Kerkstraat")[2]),
        ("huurder2@example.nl", "Kees", "de Wit", let("dekempen", "Vermeerstraat")[4]),
        ("huurder3@example.nl", "Annelies", "van der Heijden", let("maasoever")[3]),
    ]
    taken = {home.reference for *_, home in tenant_homes}
    extra_homes = rng.sample(
        [d for d in let("dekempen") if d.reference not in taken], len(EXTRA_TENANTS)
    )
    tenant_homes += [
        (*person, home) for person, home in zip(EXTRA_TENANTS, extra_homes, strict=True)
    ]
    tenants = [
        TenantPlan(
            email=email,
            first_name=first,
            last_name=last,
            organisation=home.organisation,
            contract_number=current_of(home).contract_number,
            claimed_at=_claimed_at(rng, current_of(home).start_date, today),
        )
        for email, first, last, home in tenant_homes
    ]
    tenant_of = {tenant.contract_number: tenant.email for tenant in tenants}

    requests: list[RequestPlan] = []
    oldest = max(min(today.timetuple().tm_yday - 1, 150), 0)  # keep this year's references true

    def report(home: DwellingPlan, category: str, days_ago: int, outcome: str = "routed") -> None:
        tenancy = current.get((home.organisation, home.reference))
        number = tenancy.contract_number if tenancy else None
        days_ago = min(days_ago, oldest)
        if outcome == "routed" and home.reference != UNCOVERED_REFERENCE:
            # A chain at work: what was reported weeks ago is done, what came in last week
            # or so has its visit planned, and only the last few days' reports are new.
            if days_ago > PLANNED_WITHIN_DAYS:
                outcome = "completed"
            elif days_ago > NEW_FOR_DAYS:
                outcome = "planned"
        requests.append(
            RequestPlan(
                organisation=home.organisation,
                dwelling_reference=home.reference,
                contract_number=number,
                reporter_email=tenant_of.get(number or ""),
                category=category,
                description=rng.choice(DESCRIPTIONS[category]),
                days_ago=days_ago,
                outcome=outcome,
                contact_phone=f"06 {rng.randint(10000000, 99999999)}",
            )
        )

    huurder, huurder2, huurder3 = (home for *_, home in tenant_homes[:3])
    # The demo tenant's running toilet was fixed three days ago, they say in the survey it is
    # not: reopened at the same contractor, its new visit planned.
    report(huurder, "Toilet loopt door", 41, "reopened")
    report(huurder, "Raam sluit niet goed", 3)
    # Kees's noisy ventilation is late: reported just over the norm's 10 working days ago,
    # its visit planned only in the coming days, so the planner's list "Te laat" shows it and
    # the periodic escalation mails the planners about it.
    report(huurder2, "Mechanische ventilatie maakt lawaai", _days_late(today), "planned")
    report(huurder3, "Deurbel werkt niet", 9)
    for home in rng.sample(let("maasoever"), 3):
        report(
            home,
            rng.choice(SHOWCASE_CATEGORIES),
            rng.randint(1, 90),
            rng.choice(["routed", "completed"]),
        )
    covered = [d for d in let("dekempen") if d.reference not in taken]
    for index, home in enumerate(rng.sample(covered, 22)):
        days_ago = rng.randint(1, 120)
        outcome = "completed" if days_ago > 20 and rng.random() < 0.7 else "routed"
        if index == 5:
            outcome = "cancelled"
        report(home, rng.choice(SHOWCASE_CATEGORIES), days_ago, outcome)
    emergency_homes = rng.sample(covered, 2)
    report(emergency_homes[0], "Geen verwarming of warm water (cv-ketel in storing)", 2)
    report(emergency_homes[1], "Grote waterlekkage", 33, "completed")
    report(rng.choice(covered), "Afvoer van het aanrecht verstopt", 12, "rejected")
    report(by_reference[UNCOVERED_REFERENCE], "Keukenkraan lekt", 1)
    return Plan(dwellings=dwellings, tenancies=tenancies, tenants=tenants, requests=requests)
