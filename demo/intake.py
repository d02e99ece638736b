"""Work orders without a tenant in the demo: a common area (the stairwell of a block of
walk-up flats, reported by the caretaker by phone) and a few vacant-home orders (mutatie) on
the vacant dwelling the history's craftsmen took material from, so the reuse register links
that donor to them.

They are past, completed repairs written like the history's (`past_repair_write`, with the
history's text, contract and months), so the counts of the recent reports the demo pins stay
the same. A second run finds them and adds nothing."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contractors.models import Daypart
from contractors.routing import route
from contractors.services import local_datetime
from portal.models import CollectiveObject, CollectiveObjectKind, Dwelling, Organisation
from repairs.models import (
    CallerRelation,
    Channel,
    MaterialReuse,
    RepairCategory,
    RepairRequest,
    ReuseSource,
    VisitOutcome,
)

from .history import HISTORY_DESCRIPTION, HISTORY_ENDS_DAYS_AGO
from .records import PastVisit, past_repair_write

# Days before today the vacant-home orders were reported: one a month, the last a few weeks
# ago (so the flat was handed over again since).
VACANT_DAYS_AGO = (95, 62, 31)
COMMON_AREA_DAYS_AGO = 45
COMMON_AREA_SLUG = "dekempen"


@transaction.atomic
def demo_intake_write() -> int:
    """The orders without a tenant of every association that has none yet; how many."""
    today = timezone.localdate()
    written = 0
    for organisation in Organisation.objects.order_by("pk"):
        done = RepairRequest.objects.filter(organisation=organisation).filter(
            Q(is_vacant_home=True) | Q(collective_object__isnull=False)
        )
        if done.exists():
            continue
        written += _vacant_orders(organisation, today)
        if organisation.slug == COMMON_AREA_SLUG:
            written += _common_area_order(organisation, today)
    return written


def _past_order(*, contract, dwelling, days_ago: int, today, **fields) -> RepairRequest:
    """A completed repair fixed at its one visit, two working days after the report."""
    category = (
        RepairCategory.objects.filter(
            organisation_id=contract.organisation_id, is_emergency=False, responsibility="landlord"
        )
        .order_by("pk")
        .first()
    )
    daypart = Daypart.objects.filter(contractor_id=contract.contractor_id).order_by("pk").first()
    days_ago = max(days_ago, HISTORY_ENDS_DAYS_AGO)
    reported = local_datetime(today - datetime.timedelta(days=days_ago), datetime.time(9, 30))
    visit_day = reported.date() + datetime.timedelta(days=2)
    recorded = local_datetime(visit_day, daypart.start_time) + datetime.timedelta(hours=2)
    order = past_repair_write(
        contract=contract,
        dwelling=dwelling,
        tenancy=None,
        category=category,
        reported_at=reported,
        description=HISTORY_DESCRIPTION,
        completed_at=recorded,
        first_time_fix=True,
        visits=[
            PastVisit(
                date=visit_day, daypart=daypart, outcome=VisitOutcome.FIXED, recorded_at=recorded
            )
        ],
    )
    RepairRequest.objects.filter(pk=order.pk).update(**fields)
    return order


def _vacant_orders(organisation: Organisation, today) -> int:
    # The donor the history's reuse names: the association's first vacant dwelling.
    donor_id = (
        MaterialReuse.objects.filter(organisation=organisation, source=ReuseSource.VACANT_DWELLING)
        .order_by("pk")
        .values_list("source_dwelling_id", flat=True)
        .first()
    )
    donor = Dwelling.objects.filter(pk=donor_id).first()
    contract = route(donor, today) if donor is not None else None
    if contract is None:
        return 0
    for days_ago in VACANT_DAYS_AGO:
        _past_order(
            contract=contract,
            dwelling=donor,
            days_ago=days_ago,
            today=today,
            is_vacant_home=True,
            channel=Channel.STAFF,
        )
    return len(VACANT_DAYS_AGO)


def _common_area_order(organisation: Organisation, today) -> int:
    """The stairwell of the association's first walk-up flat (the flats A to C of one house
    number share it), and one repair of it taken by phone from the caretaker."""
    flat = (
        Dwelling.objects.filter(organisation=organisation, dwelling_type="POF", is_vacant=False)
        .order_by("postcode", "house_number", "pk")
        .first()
    )
    contract = route(flat, today) if flat is not None else None
    if contract is None:
        return 0
    stairwell, _created = CollectiveObject.objects.get_or_create(
        organisation=organisation,
        postcode=flat.postcode,
        name=f"Trappenhuis {flat.street} {flat.house_number}",
        defaults={
            "kind": CollectiveObjectKind.STAIRWELL,
            "complex_code": f"CPX-{flat.postcode}",
            "house_number_from": flat.house_number,
            "house_number_to": flat.house_number,
        },
    )
    _past_order(
        contract=contract,
        dwelling=flat,
        days_ago=COMMON_AREA_DAYS_AGO,
        today=today,
        collective_object=stairwell,
        channel=Channel.PHONE,
        caller_name="Huismeester",
        caller_relation=CallerRelation.OTHER,
        contact_phone="040 200 30 40",
    )
    return 1
