"""A year of completed repairs with visits and survey answers, so the KPI dashboard shows
trends on first run. Written in bulk with dates in the past (`manage.py demo_history`, run by
`demo_data`). An association that already has survey answers keeps its history as it is."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contractors.models import Contract, Daypart
from contractors.services import local_datetime
from portal.models import Dwelling, Organisation
from repairs.models import (
    MaterialReuse,
    RepairCategory,
    Responsibility,
    ReuseSource,
    VisitOutcome,
)
from surveys.models import InvitationStatus, SurveyResponse

from .records import PastAnswer, PastSurvey, PastVisit, past_repair_write

SEED = 2027
MONTHS = 12
# The last history report is this many days old: completed within 15 days of it, answered
# within three days after that.
HISTORY_ENDS_DAYS_AGO = 20
HISTORY_DESCRIPTION = "Melding uit de demogeschiedenis."
REUSED = [
    ("Binnendeur", "st", "85.00"),
    ("Keukenkastje", "st", "60.00"),
    ("Radiatorkraan", "st", "18.50"),
    ("Deurkruk met schild", "st", "22.00"),
    ("Toiletpot", "st", "95.00"),
    ("Tegels 15x15", "m2", "12.00"),
]
COMMENTS = [
    "Snel en netjes opgelost, dank!",
    "Vakman was vriendelijk en ruimde alles op.",
    "Moest twee keer komen, dat was jammer.",
    "Kwam later dan afgesproken zonder te bellen.",
    "Prima geholpen.",
    "",
    "",
    "",
]


def demo_history_write() -> int:
    """Write the history of every association without survey answers; returns the number
    of completed repairs written."""
    rng = random.Random(SEED)
    written = 0
    with transaction.atomic():
        for organisation in Organisation.objects.order_by("pk"):
            if SurveyResponse.objects.filter(organisation=organisation).exists():
                continue
            written += _organisation_write(rng, organisation)
    return written


def _organisation_write(rng: random.Random, organisation: Organisation) -> int:
    today = timezone.localdate()
    contracts = list(
        Contract.objects.valid_on(today)
        .filter(organisation=organisation)
        .select_related("contractor", "area")
        .order_by("pk")
    )
    if not contracts:
        return 0
    # Each let dwelling in its stored area (`DwellingArea`): the one answer to "which area
    # holds this postcode", as routing and fees read it.
    dwellings_by_area: dict[int, list] = defaultdict(list)
    for dwelling in (
        organisation.dwellings.filter(
            tenancies__tenant__isnull=False, area_link__area__isnull=False
        )
        .select_related("area_link")
        .distinct()
    ):
        dwellings_by_area[dwelling.area_link.area_id].append(dwelling)
    categories = list(
        RepairCategory.objects.filter(
            organisation=organisation, responsibility=Responsibility.LANDLORD
        ).order_by("pk")
    )
    emergencies = [c for c in categories if c.is_emergency]
    normal = [c for c in categories if not c.is_emergency]
    written = 0
    # The twelve whole months before this one.
    first_month = today.replace(year=today.year - 1, day=1)
    for index, contract in enumerate(contracts):
        homes = dwellings_by_area.get(contract.area_id, [])
        if not homes or not normal:
            continue
        dayparts = {d.kind: d for d in Daypart.objects.filter(contractor=contract.contractor)}
        if not dayparts:
            continue
        month = first_month
        step = 0
        while month < today.replace(day=1):
            progress = step / MONTHS
            # Each contractor its own trend: one improves, one slips, one stays steady.
            trend = (0.9, -0.5, 0.2)[index % 3] * progress
            count = rng.randint(8, 16)
            for _ in range(count):
                _repair(
                    rng=rng,
                    contract=contract,
                    month=month,
                    dwelling=rng.choice(homes),
                    category=rng.choice(emergencies)
                    if emergencies and rng.random() < 0.08
                    else rng.choice(normal),
                    dayparts=dayparts,
                    grade_shift=trend,
                    ftf_chance=min(0.92, 0.68 + 0.15 * trend),
                )
            written += count
            month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            step += 1
    return written


def _reuse(rng, visit, contract, dwelling) -> None:
    what, unit, value = rng.choice(REUSED)
    source = rng.choice(
        (
            ReuseSource.DEPOT,
            ReuseSource.DEPOT,
            ReuseSource.VACANT_DWELLING,
            ReuseSource.SAME_DWELLING,
        )
    )
    donor = None
    if source == ReuseSource.VACANT_DWELLING:
        donor = (
            Dwelling.objects.filter(organisation_id=contract.organisation_id, is_vacant=True)
            .order_by("pk")
            .first()
        )
        if donor is None:
            source = ReuseSource.DEPOT
    MaterialReuse.objects.create(
        organisation_id=contract.organisation_id,
        appointment=visit,
        contractor_id=contract.contractor_id,
        description=what,
        quantity=Decimal(rng.randint(1, 3)),
        unit=unit,
        source=source,
        source_dwelling=donor,
        estimated_value=Decimal(value),
    )


def _repair(*, rng, contract, month, dwelling, category, dayparts, grade_shift, ftf_chance):
    # Reported at least HISTORY_ENDS_DAYS_AGO, so its visits (up to 15 days on), the
    # survey and its answer (up to three days after) all lie in the past, at any hour.
    latest = timezone.localdate() - datetime.timedelta(days=HISTORY_ENDS_DAYS_AGO)
    day = month + datetime.timedelta(days=rng.randint(0, min(25, (latest - month).days)))
    created = local_datetime(day, datetime.time(rng.randint(7, 21), rng.randint(0, 59)))
    tenancy = dwelling.tenancies.filter(tenant__isnull=False).select_related("tenant").first()
    first_time = rng.random() < ftf_chance
    count = 1 if first_time else rng.choice((2, 2, 3))
    visits: list[PastVisit] = []
    visit_day = day
    for number in range(count):
        emergency_first = category.is_emergency and number == 0
        if not emergency_first:
            visit_day = visit_day + datetime.timedelta(days=rng.randint(1, 5))
        daypart = dayparts[rng.choice(list(dayparts))]
        starts_at = local_datetime(visit_day, daypart.start_time)
        ends_at = local_datetime(visit_day, daypart.end_time)
        if emergency_first:
            starts_at = created + datetime.timedelta(hours=1)
            ends_at = starts_at + datetime.timedelta(hours=3)
        last = number == count - 1
        outcome = (
            VisitOutcome.FIXED
            if last
            else rng.choice(
                (VisitOutcome.FOLLOW_UP, VisitOutcome.FOLLOW_UP, VisitOutcome.NO_ACCESS)
            )
        )
        if rng.random() < 0.1:  # recorded late, after the daypart ended
            recorded_at = min(
                ends_at + datetime.timedelta(minutes=45), ends_at + datetime.timedelta(hours=2)
            )
        else:
            recorded_at = min(
                starts_at + datetime.timedelta(minutes=rng.randint(20, 200)),
                ends_at - datetime.timedelta(minutes=5),
            )
        visits.append(
            PastVisit(
                date=visit_day,
                daypart=daypart,
                outcome=outcome,
                outcome_reason=""
                if outcome == VisitOutcome.FIXED
                else (
                    "AFW"
                    if outcome == VisitOutcome.NO_ACCESS
                    else rng.choice(("MAT", "DIS", "ONV"))
                ),
                recorded_at=recorded_at,
                starts_at=starts_at if emergency_first else None,
                ends_at=ends_at if emergency_first else None,
            )
        )
    completed_at = visits[-1].recorded_at
    repair_request = past_repair_write(
        contract=contract,
        dwelling=dwelling,
        tenancy=tenancy,
        category=category,
        reported_at=created,
        description=HISTORY_DESCRIPTION,
        completed_at=completed_at,
        first_time_fix=first_time,
        visits=visits,
        survey=_survey(rng, completed_at, first_time, grade_shift) if tenancy else None,
    )
    if rng.random() < 0.2:
        _reuse(rng, repair_request.appointments.order_by("-sequence").first(), contract, dwelling)


def _survey(rng, completed_at, first_time: bool, grade_shift: float) -> PastSurvey:
    sent_at = completed_at + datetime.timedelta(hours=2)
    expires_at = sent_at + datetime.timedelta(days=14)
    answered = rng.random() < 0.62
    if answered:
        status = InvitationStatus.ANSWERED
    elif expires_at <= timezone.now():
        status = InvitationStatus.EXPIRED
    else:
        status = InvitationStatus.SENT  # not answered yet, and it may still be
    answer = None
    if answered:
        base = 7.3 + grade_shift + (0.6 if first_time else -1.2)
        grade = max(1, min(10, round(rng.gauss(base, 1.3))))
        answer = PastAnswer(
            overall_grade=grade,
            fixed_first_time=first_time,
            on_time=rng.random() < 0.85,
            craftsman_grade=max(1, min(10, grade + rng.choice((-1, 0, 0, 1)))),
            comment=rng.choice(COMMENTS),
            may_contact=rng.random() < 0.3,
            answered_at=sent_at + datetime.timedelta(hours=rng.randint(1, 60)),
            follow_up_alert_sent_at=sent_at if grade <= 5 else None,
            follow_up_handled_at=sent_at + datetime.timedelta(days=2)
            if grade <= 5 and rng.random() < 0.7
            else None,
        )
    return PastSurvey(
        status=status, due_at=sent_at, sent_at=sent_at, expires_at=expires_at, answer=answer
    )
