"""Past repairs written straight to the database: a request with its visits, its timeline and
its survey, exactly as given.

One writer for both users of history: the demo's year of trends (`demo.history`, which
draws the values at random) and the KPI tests' world (`tests/test_kpis.py`, whose values are
chosen by hand so the expected figures can be worked out on paper). Nothing here goes
through the services: history has already happened, so there is no booking to check, no mail
to send and no clock to obey; the KPI queries read these rows as they read live ones.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from contractors.models import Contract, Daypart, Slot
from contractors.services import local_datetime
from portal.models import Dwelling, Tenancy
from repairs.lifecycle import Status
from repairs.models import (
    Appointment,
    AppointmentStatus,
    ReferenceCounter,
    RepairCategory,
    RepairEvent,
    RepairRequest,
    VisitOutcome,
)
from surveys.models import SurveyInvitation, SurveyResponse


@dataclass(frozen=True)
class PastVisit:
    """One appointment: in `daypart` on `date`; `starts_at`/`ends_at` only when it did not
    follow the daypart (an emergency visit within hours)."""

    date: datetime.date
    daypart: Daypart
    status: str = AppointmentStatus.DONE
    outcome: str = ""
    outcome_reason: str = ""
    recorded_at: datetime.datetime | None = None
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None


@dataclass(frozen=True)
class PastAnswer:
    """The tenant's answer; answered_at None is "now" (the clock of the caller)."""

    overall_grade: int
    fixed_first_time: bool | None = None
    on_time: bool | None = None
    craftsman_grade: int | None = None
    comment: str = ""
    may_contact: bool = False
    answered_at: datetime.datetime | None = None
    follow_up_alert_sent_at: datetime.datetime | None = None
    follow_up_handled_at: datetime.datetime | None = None


@dataclass(frozen=True)
class PastSurvey:
    status: str
    due_at: datetime.datetime
    sent_at: datetime.datetime | None
    expires_at: datetime.datetime | None
    language: str = "nl"
    answer: PastAnswer | None = None


def slot_for(contract: Contract, daypart: Daypart, date: datetime.date, *, capacity: int) -> Slot:
    """The contractor's slot of the contract's area in that daypart, made when missing."""
    slot, _created = Slot.objects.get_or_create(
        contractor_id=contract.contractor_id,
        area_id=contract.area_id,
        date=date,
        daypart=daypart,
        defaults={
            "organisation_id": contract.organisation_id,
            "starts_at": local_datetime(date, daypart.start_time),
            "ends_at": local_datetime(date, daypart.end_time),
            "capacity": capacity,
        },
    )
    return slot


def reference_next(year: int) -> str:
    """The next request reference of `year`, from the same counter the services use."""
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"R-{year}-{counter.last_number:06d}"


@transaction.atomic
def past_repair_write(
    *,
    contract: Contract,
    dwelling: Dwelling,
    tenancy: Tenancy | None,
    category: RepairCategory,
    reported_at: datetime.datetime,
    description: str,
    status: str = Status.COMPLETED,
    completed_at: datetime.datetime | None = None,
    first_time_fix: bool | None = None,
    urgent: bool | None = None,
    visits: Sequence[PastVisit] = (),
    survey: PastSurvey | None = None,
    slot_capacity: int = 6,
) -> RepairRequest:
    """Write one past repair of `contract`: the request as reported at `reported_at` and
    routed at once, its visits in order, a timeline event per step with the time it
    happened, and the survey invitation with its answer when given: all of it or nothing."""
    repair_request = RepairRequest.objects.create(
        organisation_id=contract.organisation_id,
        reference=reference_next(reported_at.year),
        dwelling=dwelling,
        tenancy=tenancy,
        reported_by=tenancy.tenant if tenancy else None,
        category=category,
        description=description,
        is_urgent=category.is_emergency if urgent is None else urgent,
        status=status,
        contract=contract,
        contractor_id=contract.contractor_id,
        routed_at=reported_at,
        completed_at=completed_at,
        first_time_fix=first_time_fix,
    )
    events: list[tuple[str, datetime.datetime, dict]] = [
        (Status.SUBMITTED, reported_at, {}),
        (Status.ROUTED, reported_at, {"contractor": contract.contractor.name}),
    ]
    for number, visit in enumerate(visits):
        slot = slot_for(contract, visit.daypart, visit.date, capacity=slot_capacity)
        starts_at = visit.starts_at or slot.starts_at
        ends_at = visit.ends_at or slot.ends_at
        Appointment.objects.create(
            organisation_id=contract.organisation_id,
            request=repair_request,
            contractor_id=contract.contractor_id,
            slot=slot,
            starts_at=starts_at,
            ends_at=ends_at,
            status=visit.status,
            outcome=visit.outcome,
            outcome_reason=visit.outcome_reason,
            recorded_at=visit.recorded_at,
            sequence=number,
        )
        events.append(
            (
                Status.SCHEDULED,
                reported_at,
                {
                    "contractor": contract.contractor.name,
                    "starts_at": starts_at.isoformat(),
                    "daypart": visit.daypart.kind,
                },
            )
        )
        if visit.recorded_at is not None and visit.outcome:
            done = visit.outcome == VisitOutcome.FIXED and status == Status.COMPLETED
            events.append(
                (
                    Status.COMPLETED if done else Status.FOLLOW_UP,
                    visit.recorded_at,
                    {"outcome": visit.outcome},
                )
            )
    if status in (Status.CANCELLED, Status.REJECTED):
        events.append((status, completed_at or reported_at, {}))
    RepairRequest.objects.filter(pk=repair_request.pk).update(created_at=reported_at)
    repair_request.created_at = reported_at
    created = RepairEvent.objects.bulk_create(
        RepairEvent(
            organisation_id=contract.organisation_id, request=repair_request, status=s, data=d
        )
        for s, _at, d in events
    )
    # created_at is set on insert; the times of the steps are written after.
    for event, (_status, at, _data) in zip(created, events, strict=True):
        RepairEvent.objects.filter(pk=event.pk).update(created_at=at)
    if survey is not None and tenancy is not None:
        _survey_write(repair_request, contract, tenancy, survey)
    return repair_request


def _survey_write(
    repair_request: RepairRequest, contract: Contract, tenancy: Tenancy, survey: PastSurvey
) -> None:
    invitation = SurveyInvitation.objects.create(
        organisation_id=contract.organisation_id,
        request=repair_request,
        contractor_id=contract.contractor_id,
        area_id=contract.area_id,
        email=tenancy.tenant.email,
        language=survey.language,
        status=survey.status,
        due_at=survey.due_at,
        sent_at=survey.sent_at,
        expires_at=survey.expires_at,
    )
    answer = survey.answer
    if answer is None:
        return
    response = SurveyResponse.objects.create(
        organisation_id=contract.organisation_id,
        invitation=invitation,
        contractor_id=contract.contractor_id,
        area_id=contract.area_id,
        overall_grade=answer.overall_grade,
        fixed_first_time=answer.fixed_first_time,
        on_time=answer.on_time,
        craftsman_grade=answer.craftsman_grade,
        comment=answer.comment,
        may_contact=answer.may_contact,
        follow_up_alert_sent_at=answer.follow_up_alert_sent_at,
        follow_up_handled_at=answer.follow_up_handled_at,
    )
    if answer.answered_at is not None:
        SurveyResponse.objects.filter(pk=response.pk).update(answered_at=answer.answered_at)
