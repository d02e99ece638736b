"""Combined visits in the demo: one visit for two jobs.

- The demo tenant (huurder@example.nl) has an open repair with a visit planned about a week
  ahead, so reporting another repair on `make run` offers to combine it with that visit; their
  reopened toilet has a visit of its own, so the planner of their contractor sees the two
  jobs of one home as a bundle suggestion in the work queue.
- A few past jobs rode along on another job's visit in the same home, so the KPI dashboard
  shows visits saved. They are past, completed repairs written like the history's
  (`past_repair_write`, with the history's text, contract and months), so the counts of the
  recent reports the demo pins stay the same.

A second run finds them and adds nothing."""

import datetime

from django.db import transaction
from django.utils import timezone

from contractors.models import ContractorRole
from contractors.routing import route
from portal.models import Organisation, Tenancy, User
from repairs.bundles import combinable_visits
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairRequest, VisitOutcome
from repairs.selectors import slots_free_for, waiting_for_a_visit
from repairs.services.appointments import appointment_plan

from .history import HISTORY_DESCRIPTION, HISTORY_ENDS_DAYS_AGO
from .records import PastVisit, past_repair_write

DEMO_TENANT = "huurder@example.nl"
# The offered visit lies at least this far ahead, so the offer still shows days after the
# demo was made (a tenant may combine until 24 hours before a visit).
OFFER_AT_LEAST = datetime.timedelta(days=5)
# Past jobs per association that rode along on another job's visit.
PAST_RIDERS = 4
# and within this many days before the history ends (the last few months)
PAST_RIDERS_WITHIN_DAYS = 120


def demo_bundling_write() -> dict[str, int]:
    """The demo tenant's planned visit to combine with, and the past riders; how many of each
    were written."""
    return {"planned": _tenant_visit_plan(), "riders": _past_riders_write()}


@transaction.atomic
def _tenant_visit_plan() -> int:
    """Plan the demo tenant's waiting repair about a week ahead, by their contractor's planner,
    unless a visit to combine with is planned in their home already."""
    user = User.objects.filter(email=DEMO_TENANT).first()
    tenancy = (
        Tenancy.objects.filter(tenant=user, end_date=None).select_related("dwelling").first()
        if user is not None
        else None
    )
    contract = route(tenancy.dwelling, timezone.localdate()) if tenancy is not None else None
    if contract is None:
        return 0
    now = timezone.now()
    visits = combinable_visits(
        dwelling_id=tenancy.dwelling_id, contractor_id=contract.contractor_id
    )
    if visits.filter(starts_at__gte=now + OFFER_AT_LEAST).exists():
        return 0
    waiting = (
        RepairRequest.objects.filter(
            dwelling_id=tenancy.dwelling_id, contractor_id=contract.contractor_id, is_urgent=False
        )
        .filter(waiting_for_a_visit())
        .select_related("contract")
        .order_by("created_at", "pk")
        .first()
    )
    if waiting is None:
        return 0
    slot = (
        slots_free_for(repair_request=waiting, days=None)
        .filter(starts_at__gte=now + OFFER_AT_LEAST)
        .first()
    )
    planner = (
        User.objects.filter(
            contractor_membership__contractor_id=contract.contractor_id,
            contractor_membership__role=ContractorRole.PLANNER,
        )
        .order_by("pk")
        .first()
    )
    if slot is None:
        return 0
    appointment_plan(repair_request=waiting, slot_id=slot.pk, actor=planner, move_existing=False)
    return 1


@transaction.atomic
def _past_riders_write() -> int:
    """For each association without any yet, PAST_RIDERS past jobs done at the visit of
    another past job in the same home: same slot and time, each recorded as fixed."""
    written = 0
    today = timezone.localdate()
    last = today - datetime.timedelta(days=HISTORY_ENDS_DAYS_AGO)
    first = last - datetime.timedelta(days=PAST_RIDERS_WITHIN_DAYS)
    for organisation in Organisation.objects.order_by("pk"):
        riders = Appointment.objects.filter(organisation=organisation, shared_visit__isnull=False)
        if riders.exists():
            continue
        hosts = (
            Appointment.objects.filter(
                organisation=organisation,
                status=AppointmentStatus.DONE,
                outcome=VisitOutcome.FIXED,
                shared_visit__isnull=True,
                recorded_at__isnull=False,
                request__description=HISTORY_DESCRIPTION,
                request__status=Status.COMPLETED,
                request__is_urgent=False,
                slot__date__gte=first,
                slot__date__lte=last,
            )
            .select_related(
                "request__contract", "request__dwelling", "request__tenancy", "slot__daypart"
            )
            .order_by("slot__date", "pk")
        )
        chosen = list(hosts[:: max(hosts.count() // PAST_RIDERS, 1)][:PAST_RIDERS])
        for host in chosen:
            written += _past_rider_write(host)
    return written


def _past_rider_write(host: Appointment) -> int:
    """A second job of the host's home, reported an hour after the host's and done at its
    visit: it rode along, so the contractor came once for both."""
    request = host.request
    reported = request.created_at + datetime.timedelta(hours=1)
    category = (
        request.category.__class__.objects.filter(
            organisation_id=request.organisation_id,
            is_emergency=False,
            responsibility="landlord",
            is_active=True,
        )
        .exclude(pk=request.category_id)
        .order_by("pk")
        .first()
    )
    rider_request = past_repair_write(
        contract=request.contract,
        dwelling=request.dwelling,
        tenancy=request.tenancy,
        category=category or request.category,
        reported_at=reported,
        description=HISTORY_DESCRIPTION,
        completed_at=host.recorded_at,
        first_time_fix=True,
        visits=[
            PastVisit(
                date=host.slot.date,
                daypart=host.slot.daypart,
                outcome=VisitOutcome.FIXED,
                recorded_at=host.recorded_at,
                starts_at=host.starts_at,
                ends_at=host.ends_at,
            )
        ],
    )
    Appointment.objects.filter(request=rider_request).update(
        shared_visit=host, slot=host.slot, created_at=reported
    )
    return 1
