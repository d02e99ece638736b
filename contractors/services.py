"""Writes of the chain contracts: the stored area of each dwelling, dayparts and the slots
made from weekly schedules."""

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.lookups import Exact
from django.utils import timezone

from portal.models import Dwelling, Organisation

from .models import (
    DEFAULT_DAYPARTS,
    Contractor,
    Daypart,
    DwellingArea,
    PostcodeRule,
    Slot,
    WeeklySchedule,
)
from .routing import area_rule

SLOT_WEEKS_AHEAD = 4


def local_datetime(date: datetime.date, time: datetime.time) -> datetime.datetime:
    """A wall-clock time in the portal's time zone (DST-correct), as an aware datetime."""
    return datetime.datetime.combine(date, time).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


@transaction.atomic
def daypart_defaults_ensure(*, contractor: Contractor) -> list[Daypart]:
    """Give a contractor the standard morning and afternoon if it has no dayparts yet."""
    for kind, (start, end) in DEFAULT_DAYPARTS.items():
        Daypart.objects.get_or_create(
            contractor=contractor, kind=kind, defaults={"start_time": start, "end_time": end}
        )
    return list(contractor.dayparts.all())


@transaction.atomic
def slots_generate(*, start: datetime.date | None = None, weeks: int = SLOT_WEEKS_AHEAD) -> int:
    """Turn every weekly schedule into slots for the coming weeks; existing slots stay as they
    are (bookings and single-day changes included), so running it again adds only new days."""
    start = start or timezone.localdate()
    dates = [start + datetime.timedelta(days=offset) for offset in range(weeks * 7)]
    slots = []
    for schedule in WeeklySchedule.objects.select_related("daypart").iterator(chunk_size=2000):
        for date in dates:
            if date.weekday() != schedule.weekday:
                continue
            slots.append(
                Slot(
                    organisation_id=schedule.organisation_id,
                    contractor_id=schedule.contractor_id,
                    area_id=schedule.area_id,
                    daypart_id=schedule.daypart_id,
                    date=date,
                    starts_at=local_datetime(date, schedule.daypart.start_time),
                    ends_at=local_datetime(date, schedule.daypart.end_time),
                    capacity=schedule.capacity,
                )
            )
    before = Slot.objects.filter(date__gte=start, date__lte=dates[-1]).count()
    Slot.objects.bulk_create(slots, ignore_conflicts=True, batch_size=1000)
    return Slot.objects.filter(date__gte=start, date__lte=dates[-1]).count() - before


def slot_for_contract(
    *, slot_id: int, contractor_id: int | None, area_id: int | None
) -> Slot | None:
    """The slot, if it is the given contractor's in the given area; None otherwise."""
    return (
        Slot.objects.select_related("daypart")
        .filter(pk=slot_id, contractor_id=contractor_id, area_id=area_id)
        .first()
    )


def slot_book_one(*, slot_id: int) -> bool:
    """Take one visit of a slot. The conditional UPDATE is the lock: a full slot is never
    overbooked, however many bookings arrive at once."""
    return bool(
        Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    )


def slot_release_one(*, slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


# -- the stored area of a dwelling ---------------------------------------------------------

# Dwelling ids per statement when a caller names them: far below SQLite's limit of bound
# parameters, and each chunk is still one set-based statement.
DWELLING_IDS_PER_STATEMENT = 5000


def dwelling_areas_write(
    dwellings,
    *,
    rules,
    table: str,
    using: str = "default",
    only_missing: bool = False,
    many: bool = False,
) -> int:
    """Write the area of each dwelling in the queryset into the table of `DwellingArea`, in
    one INSERT … SELECT that evaluates `area_rule` in the database; an existing row is only
    rewritten when its area changes. Returns the number of rows inserted or changed.

    Takes the managers and table as arguments so that a migration can run it on its
    historical models; everyone else calls `dwelling_areas_refresh`. With `many` (thousands
    of dwellings) PostgreSQL's JIT is switched off for the rest of the transaction: the two
    rule lookups per dwelling are estimated high enough to be compiled, which takes longer
    than running them."""
    rows = (
        dwellings.using(using)
        # A WHERE clause keeps SQLite from reading the ON of ON CONFLICT as a join's.
        .filter(pk__isnull=False)
        .order_by()
        .values("pk", "organisation_id")
        .annotate(
            matched_area=area_rule(OuterRef("organisation_id"), OuterRef("postcode"), rules=rules)
        )
    )
    connection = connections[using]
    select, params = rows.query.get_compiler(using=using).as_sql()
    quote = connection.ops.quote_name
    target = quote(table)
    insert = (
        f"INSERT INTO {target} ({quote('dwelling_id')}, {quote('organisation_id')}, "
        f"{quote('area_id')}) {select} ON CONFLICT ({quote('dwelling_id')}) "
    )
    if only_missing:
        insert += "DO NOTHING"
    else:
        differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
        insert += (
            f"DO UPDATE SET {quote('organisation_id')} = excluded.{quote('organisation_id')}, "
            f"{quote('area_id')} = excluded.{quote('area_id')} "
            f"WHERE {target}.{quote('area_id')} {differs} excluded.{quote('area_id')} "
            f"OR {target}.{quote('organisation_id')} <> excluded.{quote('organisation_id')}"
        )
    with connection.cursor() as cursor:
        if many and connection.vendor == "postgresql" and connection.in_atomic_block:
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(insert, params)
        return max(cursor.rowcount, 0)


def dwelling_areas_refresh(
    *,
    organisation_id: int | None = None,
    dwelling_ids: Iterable[int] | None = None,
    postcodes: Q | None = None,
) -> int:
    """Recompute the stored area of the named dwellings (all of the association's, or every
    dwelling when neither is given), optionally only those whose postcode matches `postcodes`
    (a Q on Dwelling). Set-based: one statement per chunk of ids, none per dwelling. Runs in
    the caller's transaction, so the area changes together with what caused it.

    The association's row is locked first: a rule change and a dwelling write of the same
    association then refresh one after the other, and the later one's statement sees what
    the earlier one committed — otherwise a dwelling added while a rule changes could keep
    the area of the rules before the change."""
    using = router.db_for_write(DwellingArea)
    dwellings = Dwelling.objects.all()
    if organisation_id is not None:
        dwellings = dwellings.filter(organisation_id=organisation_id)
    if postcodes is not None:
        dwellings = dwellings.filter(postcodes)
    table = DwellingArea._meta.db_table
    ids = None if dwelling_ids is None else sorted(set(dwelling_ids))
    changed = 0
    with transaction.atomic(using=using, savepoint=False):
        locked = Organisation.objects.using(using).select_for_update(no_key=True).order_by("pk")
        if organisation_id is not None:
            locked = locked.filter(pk=organisation_id)
        list(locked.values_list("pk", flat=True))
        if ids is None:
            return dwelling_areas_write(
                dwellings, rules=PostcodeRule.objects, table=table, using=using, many=True
            )
        for first in range(0, len(ids), DWELLING_IDS_PER_STATEMENT):
            chunk = ids[first : first + DWELLING_IDS_PER_STATEMENT]
            changed += dwelling_areas_write(
                dwellings.filter(pk__in=chunk),
                rules=PostcodeRule.objects,
                table=table,
                using=using,
                many=len(chunk) > 1000,
            )
    return changed


def dwelling_areas_fill_missing(*, organisation_ids: Iterable[int]) -> int:
    """Give an area row to each of the associations' dwellings that has none: dwellings
    written past the model's signals (a bulk insert that sent no `dwellings_changed`), so
    that none goes unbilled. Existing rows are left alone.

    One statement whether or not any is missing, so a page asks the same number of questions
    either way. Rows exist only for dwellings, one each, so while the associations hold as
    many rows as dwellings none is missing: the statement compares the two counts first
    (index-only, computed once) and only then looks for the dwellings without a row."""
    ids = sorted(set(organisation_ids))
    some_missing = ~Exact(
        _count_of(Dwelling.objects.filter(organisation_id__in=ids)),
        _count_of(DwellingArea.objects.filter(organisation_id__in=ids)),
    )
    return dwelling_areas_write(
        Dwelling.objects.filter(some_missing, organisation_id__in=ids, area_link__isnull=True),
        rules=PostcodeRule.objects,
        table=DwellingArea._meta.db_table,
        using=router.db_for_write(DwellingArea),
        only_missing=True,
    )


def _count_of(rows) -> Subquery:
    """COUNT(*) of the rows, as a scalar subquery that does not depend on the outer row."""
    counted = rows.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("*"))
    return Subquery(counted.values("n"), output_field=IntegerField())


def postcode_rule_coverage(
    *, postcode: str | None, range_start: int | None, range_end: int | None
) -> Q:
    """The dwellings' postcodes a rule can hold, as a Q that the (organisation, postcode)
    index answers: normalised postcodes (1234AB) sort by their digits first."""
    if postcode:
        return Q(postcode=postcode)
    return Q(postcode__gte=f"{range_start:04d}", postcode__lte=f"{range_end:04d}ZZ")
