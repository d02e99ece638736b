"""Writing the demo's plan: get-or-create on natural keys, bulk inserts for what is missing.

Rows are matched on their natural keys (slug, VHE number, contract number, e-mail address,
KvK number, area name), so writing again neither duplicates nor changes them. Reports go
through the real services (`repair_request_submit` routes them, the craftsman's `visit_record`
completes them after a visit, staff's `repair_request_reject` rejects one (the tenant's own
job, to be recharged), the tenant's survey answer "not solved" (`survey_answer`) reopens one,
`repair_request_transition` records the tenant's cancellation, the planner's
`appointment_plan` plans their visit); the repair history is only written for an association
that has no repair requests yet.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from contractors.fees import contracts_fee_lines
from contractors.models import (
    Area,
    Contract,
    Contractor,
    ContractorMembership,
    ContractorRole,
    ContractTypeFee,
    Daypart,
    PostcodeRule,
    Slot,
    SroiContribution,
    WeeklySchedule,
)
from contractors.services import daypart_defaults_ensure, local_datetime, slot_book_one
from portal.models import Dwelling, Organisation, Tenancy, User
from portal.services import staff_membership_grant
from portal.signals import dwellings_changed
from repairs.lifecycle import Status, can_transition
from repairs.models import (
    Appointment,
    Channel,
    RejectCategory,
    RepairCategory,
    RepairEvent,
    RepairRequest,
    VisitOutcome,
)
from repairs.norms import deadlines_for
from repairs.selectors import slots_free_for
from repairs.services import (
    appointment_event_data,
    appointment_plan,
    repair_request_reject,
    repair_request_submit,
    repair_request_transition,
    visit_record,
)
from surveys.models import InvitationStatus, SurveyInvitation
from surveys.services import survey_answer

from .catalogue import CATEGORIES
from .plan import Plan, TenancyPlan, build_plan
from .world import (
    AMSTERDAM,
    AREAS,
    CONTRACTOR_PEOPLE,
    CONTRACTORS,
    CONTRACTS_FROM,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    FULL_POSTCODE_RULES,
    ORGANISATIONS,
    SEED,
    SROI_BEHIND,
    SROI_ITEMS,
    SROI_MONTHLY,
    SROI_MONTHLY_BEHIND,
    SROI_PROJECT,
)

# How a report in the history ended: (status, note on the timeline).
OUTCOMES = {
    "completed": (Status.COMPLETED, ""),
    "cancelled": (Status.CANCELLED, "Zelf opgelost, de monteur hoeft niet meer te komen."),
    "rejected": (
        Status.REJECTED,
        "Een verstopte gootsteen ontstopt de huurder zelf; het advies is uitgelegd.",
    ),
    # completed after a visit three days ago; the tenant's survey answer reopens it
    "reopened": (Status.COMPLETED, "Het toilet loopt na het doortrekken nog steeds door."),
}


def demo_world_write() -> tuple[dict[str, int], list[int]]:
    """Write the plan's rows that are missing. Returns the rows added per kind and the
    reports whose visit the contractors' planners are to plan (once slots exist)."""
    to_plan: list[int] = []
    today = timezone.localdate()
    plan = build_plan(today)
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    created: dict[str, int] = {}

    def count(label: str, was_created: bool) -> None:
        created[label] = created.get(label, 0) + int(was_created)

    organisations: dict[str, Organisation] = {}
    for slug, fields in ORGANISATIONS.items():
        organisations[slug], new = Organisation.objects.get_or_create(slug=slug, defaults=fields)
        count("organisations", new)

    contractors: dict[str, Contractor] = {}
    for spec in CONTRACTORS:
        contractors[spec.key], new = Contractor.objects.get_or_create(
            kvk_number=spec.kvk_number,
            defaults={
                "name": spec.name,
                "contact_name": spec.contact_name,
                "email": spec.email,
                "phone": spec.phone,
            },
        )
        count("contractors", new)

    areas: dict[tuple[str, str], Area] = {}
    for spec in AREAS:
        organisation = organisations[spec.organisation]
        area, new = Area.objects.get_or_create(organisation=organisation, name=spec.name)
        areas[(spec.organisation, spec.name)] = area
        count("areas", new)
        for start, end in spec.ranges:
            _rule, new = PostcodeRule.objects.get_or_create(
                organisation=organisation,
                postcode=None,
                range_start=start,
                range_end=end,
                defaults={"area": area},
            )
            count("postcode rules", new)
        contract, new = Contract.objects.get_or_create(
            organisation=organisation,
            area=area,
            contractor=contractors[spec.contractor],
            valid_from=CONTRACTS_FROM,
            defaults={
                "fee_per_dwelling_year": Decimal(spec.fee),
                "sroi_pledge_percent": Decimal(spec.sroi_percent),
            },
        )
        count("contracts", new)
        for dwelling_type, fee in spec.type_fees:
            _fee, new = ContractTypeFee.objects.get_or_create(
                contract=contract,
                dwelling_type=dwelling_type,
                defaults={"organisation": organisation, "fee_per_dwelling_year": Decimal(fee)},
            )
            count("fees per dwelling type", new)
        # Weekly capacity: Monday to Friday, a morning and an afternoon in this area.
        dayparts = {d.kind: d for d in daypart_defaults_ensure(contractor=contract.contractor)}
        for weekday in range(5):
            for kind, capacity in (("morning", 4), ("afternoon", 3)):
                _schedule, new = WeeklySchedule.objects.get_or_create(
                    contractor=contract.contractor,
                    area=area,
                    weekday=weekday,
                    daypart=dayparts[kind],
                    defaults={"organisation": organisation, "capacity": capacity},
                )
                count("weekly schedules", new)
    for slug, postcode, area_name in FULL_POSTCODE_RULES:
        _rule, new = PostcodeRule.objects.get_or_create(
            organisation=organisations[slug],
            postcode=postcode,
            defaults={"area": areas[(slug, area_name)]},
        )
        count("postcode rules", new)

    categories: dict[tuple[int, str], RepairCategory] = {}
    for organisation in organisations.values():
        existing = {
            (c.room_code, c.defect_code, c.name_nl): c
            for c in RepairCategory.objects.filter(organisation=organisation)
        }
        missing = [
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
            for spec in CATEGORIES
            if (spec.room, spec.defect, spec.name_nl) not in existing
        ]
        RepairCategory.objects.bulk_create(missing)
        created["repair categories"] = created.get("repair categories", 0) + len(missing)
        for category in RepairCategory.objects.filter(organisation=organisation):
            categories[(organisation.pk, category.name_nl)] = category

    created["dwellings"] = _dwellings_write(plan, organisations)
    created["tenancies"] = _tenancies_write(plan, organisations)
    created["SROI contributions"] = _sroi_write(organisations, today)

    def user(email: str, first: str, last: str, **extra) -> User:
        account, new = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first, "last_name": last, "password": password, **extra},
        )
        count("users", new)
        return account

    user("beheer@ketenportaal.nl", "Anouk", "Verbeek", is_staff=True, is_superuser=True)
    staff_people = {"dekempen": ("Marieke", "van Dijk"), "maasoever": ("Joost", "Smits")}
    for slug, (first, last) in staff_people.items():
        staff = user(f"medewerker@{slug}.nl", first, last, is_staff=True)
        staff_membership_grant(user=staff, organisation=organisations[slug])
    for spec in CONTRACTORS:
        planner, craftsman = CONTRACTOR_PEOPLE[spec.key]
        for role, (first, last), mailbox in (
            (ContractorRole.PLANNER, planner, "planner"),
            (ContractorRole.CRAFTSMAN, craftsman, "vakman"),
        ):
            account = user(f"{mailbox}@{spec.domain}", first, last)
            ContractorMembership.objects.get_or_create(
                user=account, defaults={"contractor": contractors[spec.key], "role": role}
            )
    for tenant in plan.tenants:
        account = user(tenant.email, tenant.first_name, tenant.last_name)
        Tenancy.objects.filter(
            organisation=organisations[tenant.organisation],
            contract_number=tenant.contract_number,
            tenant__isnull=True,
        ).update(tenant=account, claimed_at=tenant.claimed_at)

    created["repair requests"] = _reports_write(plan, organisations, categories, to_plan)
    return created, to_plan


def _dwellings_write(plan: Plan, organisations: dict[str, Organisation]) -> int:
    missing: list[Dwelling] = []
    for slug, organisation in organisations.items():
        existing = set(
            Dwelling.objects.filter(organisation=organisation).values_list("reference", flat=True)
        )
        missing += [
            Dwelling(
                organisation=organisation,
                reference=row.reference,
                street=row.street,
                house_number=row.house_number,
                house_number_suffix=row.house_number_suffix,
                postcode=row.postcode,
                city=row.city,
                dwelling_type=row.dwelling_type,
                in_portfolio_from=row.in_portfolio_from,
                in_portfolio_until=row.in_portfolio_until,
                is_vacant=row.is_vacant,
            )
            for row in plan.dwellings
            if row.organisation == slug and row.reference not in existing
        ]
    Dwelling.objects.bulk_create(missing, batch_size=500)
    # A bulk insert passes the model's signals: say so, so that what other apps derive from
    # a dwelling's address (its stored area) is written in this transaction too.
    for organisation in organisations.values():
        dwellings_changed.send(sender=Dwelling, organisation_id=organisation.pk, dwelling_ids=None)
    return len(missing)


def _tenancies_write(plan: Plan, organisations: dict[str, Organisation]) -> int:
    missing: list[Tenancy] = []
    # The address the association has on file, where a claim link goes: the demo
    # tenants' own, and for four in five other current tenancies one of example.nl (the
    # rest claim with a letter's activation code, printed in the admin).
    on_file = {tenant.contract_number: tenant.email for tenant in plan.tenants}

    def email_on_file(row: TenancyPlan) -> str:
        if row.end_date is not None:
            return ""
        if row.contract_number in on_file:
            return on_file[row.contract_number]
        if int(row.contract_number[-1]) % 5 == 0:
            return ""
        return f"huurder.{row.contract_number.lower()}@example.nl"

    for slug, organisation in organisations.items():
        dwelling_ids = dict(
            Dwelling.objects.filter(organisation=organisation).values_list("reference", "pk")
        )
        existing = set(
            Tenancy.objects.filter(organisation=organisation).values_list(
                "contract_number", flat=True
            )
        )
        missing += [
            Tenancy(
                organisation=organisation,
                dwelling_id=dwelling_ids[row.dwelling_reference],
                contract_number=row.contract_number,
                start_date=row.start_date,
                end_date=row.end_date,
                email=email_on_file(row),
            )
            for row in plan.tenancies
            if row.organisation == slug and row.contract_number not in existing
        ]
    Tenancy.objects.bulk_create(missing, batch_size=500)
    return len(missing)


def _reports_write(
    plan: Plan,
    organisations: dict[str, Organisation],
    categories: dict[tuple[int, str], RepairCategory],
    to_plan: list[int],
) -> int:
    """Reports through the real service, so routing decides; moved back to their day."""
    now = timezone.now()
    today = timezone.localdate()
    rng = random.Random(SEED + 1)
    written = 0
    # An association that already has reports keeps its history as it is.
    empty = {
        slug
        for slug, organisation in organisations.items()
        if not RepairRequest.objects.filter(organisation=organisation).exists()
    }
    timed = [
        (min(_at(rng, today - datetime.timedelta(days=row.days_ago)), now), row)
        for row in plan.requests
        if row.organisation in empty
    ]
    # Oldest first, so reference numbers follow the order of reporting.
    for reported, row in sorted(timed, key=lambda pair: pair[0]):
        organisation = organisations[row.organisation]
        dwelling = Dwelling.objects.get(organisation=organisation, reference=row.dwelling_reference)
        tenancy = (
            Tenancy.objects.get(organisation=organisation, contract_number=row.contract_number)
            if row.contract_number
            else None
        )
        reporter = User.objects.get(email=row.reporter_email) if row.reporter_email else None
        repair_request = repair_request_submit(
            dwelling=dwelling,
            category=categories[(organisation.pk, row.category)],
            description=row.description,
            reported_by=reporter,
            tenancy=tenancy,
            channel=Channel.PORTAL if reporter else Channel.PHONE,
            contact_phone=row.contact_phone,
        )
        closed = min(
            _at(rng, reported.date() + datetime.timedelta(days=rng.randint(2, 12))),
            now,
        )
        if row.outcome == "reopened":
            # the visit lies a few days back, so the survey (14 days open) is still answerable
            closed = now - datetime.timedelta(days=3)
        if row.outcome == "planned":
            to_plan.append(repair_request.pk)
        target, note = OUTCOMES.get(row.outcome, ("", ""))
        if target == Status.COMPLETED and repair_request.status == Status.ROUTED:
            # Completed the one way a request is: a visit, recorded as fixed.
            recorded = _visit_done(repair_request, reported=reported, closed=closed)
            closed = recorded or closed
        elif target == Status.REJECTED and can_transition(repair_request.status, target):
            # Staff of the association found it is the tenant's own job.
            closed = min(reported + datetime.timedelta(days=1), now)
            repair_request_reject(
                repair_request=repair_request,
                actor=User.objects.filter(
                    staff_memberships__organisation=organisation, is_staff=True
                )
                .order_by("pk")
                .first(),
                reason=note,
                category=RejectCategory.TENANT,
                recharge=True,
            )
        # The lifecycle decides; an outcome it no longer allows leaves the report routed.
        elif target and can_transition(repair_request.status, target):
            update_fields: tuple[str, ...] = ()
            if target == Status.CANCELLED:
                closed = min(reported + datetime.timedelta(hours=20), now)
                # Not repair_request_cancel: that would mail the contractor about it today.
                repair_request.cancel_reason = note
                update_fields = ("cancel_reason",)
            repair_request_transition(
                repair_request=repair_request,
                status=target,
                actor=reporter if target == Status.CANCELLED else None,
                note=note,
                update_fields=update_fields,
            )
        # Its deadlines count from the day it was reported, as routing would have set them.
        deadlines = (
            deadlines_for(
                reported_at=reported,
                is_urgent=repair_request.is_urgent,
                contract=repair_request.contract,
            )
            if repair_request.contract_id
            else None
        )
        RepairRequest.objects.filter(pk=repair_request.pk).update(
            created_at=reported,
            routed_at=reported if repair_request.routed_at else None,
            visit_due_at=deadlines.visit_due_at if deadlines else None,
            complete_due_at=deadlines.complete_due_at if deadlines else None,
        )
        RepairEvent.objects.filter(request=repair_request).exclude(
            status__in=[Status.COMPLETED, Status.CANCELLED, Status.REJECTED]
        ).update(created_at=reported)
        RepairEvent.objects.filter(
            request=repair_request,
            status__in=[Status.COMPLETED, Status.CANCELLED, Status.REJECTED],
        ).update(created_at=closed)
        if row.outcome == "reopened":
            # answered "not solved" in visits_plan, after the history: an association's
            # history is written only while it has no survey answers
            to_plan.append(repair_request.pk)
        written += 1
    return written


def _survey_not_solved(repair_request: RepairRequest, *, note: str) -> None:
    """The tenant's survey of the repair, sent the day after the visit and answered "No, not
    solved" through the survey's own service, which reopens the request at its contractor."""
    sent = repair_request.completed_at + datetime.timedelta(days=1)
    invitation = SurveyInvitation.objects.create(
        organisation_id=repair_request.organisation_id,
        request=repair_request,
        contractor_id=repair_request.contractor_id,
        area_id=repair_request.contract.area_id,
        email=repair_request.reported_by.email if repair_request.reported_by else "",
        status=InvitationStatus.SENT,
        due_at=sent,
        sent_at=sent,
        expires_at=sent + datetime.timedelta(days=14),
    )
    survey_answer(
        token=invitation.token,
        problem_solved=False,
        still_wrong=note,
        overall_grade=6,
        fixed_first_time=None,
        on_time=True,
        craftsman_grade=7,
        comment="",
        may_contact=False,
    )


def visits_plan(request_ids: list[int]) -> int:
    """The contractor's planner plans each of these reports into one of the first free
    dayparts of its area from tomorrow, as the planner's queue would."""
    rng = random.Random(SEED + 2)
    planned = 0
    # A completed report among them is the one whose tenant says it is not solved.
    for repair_request in RepairRequest.objects.filter(
        pk__in=request_ids, status=Status.COMPLETED, survey_invitation__isnull=True
    ).select_related("contract", "reported_by"):
        with transaction.atomic():
            _survey_not_solved(repair_request, note=OUTCOMES["reopened"][1])
    for repair_request in (
        # routed, or reopened by the tenant (a follow-up is planned like any other)
        RepairRequest.objects.filter(
            pk__in=request_ids, status__in=[Status.ROUTED, Status.FOLLOW_UP]
        )
        .select_related("contract")
        .order_by("created_at", "pk")
    ):
        planner = (
            User.objects.filter(
                contractor_membership__contractor_id=repair_request.contractor_id,
                contractor_membership__role=ContractorRole.PLANNER,
            )
            .order_by("pk")
            .first()
        )
        free = list(slots_free_for(repair_request=repair_request, days=None)[:4])
        if not free:
            continue
        with transaction.atomic():
            appointment_plan(
                repair_request=repair_request,
                slot_id=rng.choice(free).pk,
                actor=planner,
                move_existing=False,
            )
        planned += 1
    return planned


def _visit_done(
    repair_request: RepairRequest, *, reported: datetime.datetime, closed: datetime.datetime
) -> datetime.datetime | None:
    """A visit between the report and the day it was closed, recorded as fixed by the
    contractor's craftsman through the visits service; returns when it was recorded (None: no
    daypart of the contractor lies in between, and the report stays routed).

    A planner may not plan a daypart that is over (slot_take), for good reason; so the demo
    takes the past daypart's place and writes the visit the planner's plan once made, and
    `visit_record` records what it brought and completes the request, as it does at work."""
    dayparts = list(
        Daypart.objects.filter(contractor_id=repair_request.contractor_id).order_by("-start_time")
    )
    first_day = timezone.localtime(reported).date()
    last_day = timezone.localtime(closed).date()
    # the latest daypart in between, on a working day (the weekly schedules') if there is one
    days = [
        last_day - datetime.timedelta(days=back) for back in range((last_day - first_day).days + 1)
    ]
    days.sort(key=lambda day: day.weekday() >= 5)
    slot = None
    for day in days:
        for daypart in dayparts:
            starts_at = local_datetime(day, daypart.start_time)
            if not reported <= starts_at < closed:
                continue
            slot, _created = Slot.objects.get_or_create(
                contractor_id=repair_request.contractor_id,
                area_id=repair_request.contract.area_id,
                date=day,
                daypart=daypart,
                defaults={
                    "organisation_id": repair_request.organisation_id,
                    "starts_at": starts_at,
                    "ends_at": local_datetime(day, daypart.end_time),
                    "capacity": 6,
                },
            )
            if slot_book_one(slot_id=slot.pk):
                break
            slot = None
        if slot is not None:
            break
    if slot is None:
        return None
    people = {
        membership.role: membership.user
        for membership in ContractorMembership.objects.filter(
            contractor_id=repair_request.contractor_id
        )
        .select_related("user")
        .order_by("-pk")
    }
    planner = people.get(ContractorRole.PLANNER)
    craftsman = people.get(ContractorRole.CRAFTSMAN, planner)
    visit = Appointment.objects.create(
        organisation_id=repair_request.organisation_id,
        request=repair_request,
        contractor_id=slot.contractor_id,
        slot=slot,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        booked_by=planner,
        craftsman=craftsman,
        sequence=0,
    )
    repair_request_transition(
        repair_request=repair_request,
        status=Status.SCHEDULED,
        actor=planner,
        data=appointment_event_data(visit),
    )
    visit_record(appointment=visit, outcome=VisitOutcome.FIXED, actor=craftsman)
    # recorded at the visit, two hours in (or when the report was closed, if sooner)
    recorded = min(closed, slot.starts_at + datetime.timedelta(hours=2))
    Appointment.objects.filter(pk=visit.pk).update(created_at=reported, recorded_at=recorded)
    RepairRequest.objects.filter(pk=repair_request.pk).update(completed_at=recorded)
    return recorded


def _sroi_write(organisations: dict[str, Organisation], today: datetime.date) -> int:
    """A year of SROI contributions per current contract, one a month, sized to its
    pledge (its share of this year's fees): a contract on track funds a project in
    January and smaller things through the year; one contract lags behind. An
    association that has contributions keeps them as they are."""
    rng = random.Random(SEED + 3)
    contracts = (
        Contract.objects.valid_on(today)
        .filter(organisation__in=organisations.values())
        .exclude(organisation_id__in=SroiContribution.objects.values("organisation_id"))
        .select_related("area")
        .order_by("pk")
    )
    rows: list[SroiContribution] = []
    # The pledge as the ledger reckons it: the share of this calendar year's fees.
    year = (datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31))
    for index, line in enumerate(contracts_fee_lines(contracts, *year)):
        contract = line.contract
        pledge = line.amount * contract.sroi_pledge_percent / 100 or Decimal("500")
        behind = index == SROI_BEHIND
        month = today.replace(day=1)
        for number in range(12):
            if number:
                month = (month - datetime.timedelta(days=1)).replace(day=1)
            last_day = today.day - 1 if number == 0 else 28
            if last_day < 1:
                continue  # the first of the month: nothing recorded yet this month
            date = month.replace(day=rng.randint(1, last_day))
            what, place = SROI_ITEMS[(index * 5 + number) % len(SROI_ITEMS)]
            share = SROI_MONTHLY_BEHIND if behind else SROI_MONTHLY
            if not behind and date.month == 1 and date.year == today.year:
                what, place, share = SROI_PROJECT
            value = pledge * share * Decimal(rng.randint(90, 110)) / 100
            rows.append(
                SroiContribution(
                    organisation_id=contract.organisation_id,
                    contract=contract,
                    date=date,
                    neighbourhood=f"{place} {contract.area.name}".strip(),
                    description=what,
                    value=max(value, Decimal("25")).quantize(Decimal("0.01")),
                )
            )
    SroiContribution.objects.bulk_create(rows)
    return len(rows)


def _at(rng: random.Random, day: datetime.date) -> datetime.datetime:
    """A moment during the working day, Amsterdam time."""
    moment = datetime.time(rng.randint(8, 20), rng.randint(0, 59))
    return datetime.datetime.combine(day, moment, tzinfo=AMSTERDAM)


def summary_write(stdout, style, created: dict[str, int]) -> None:
    """The totals per kind and the logins, as the README shows them."""
    totals = [
        ("housing associations", Organisation.objects.count()),
        ("areas", Area.objects.count()),
        ("postcode rules", PostcodeRule.objects.count()),
        ("contractors", Contractor.objects.count()),
        ("contracts", Contract.objects.count()),
        ("dwellings", Dwelling.objects.count()),
        ("tenancies", Tenancy.objects.count()),
        ("repair categories", RepairCategory.objects.count()),
        ("repair requests", RepairRequest.objects.count()),
        ("users", User.objects.count()),
    ]
    added = sum(created.values())
    if added:
        stdout.write(style.SUCCESS(f"Demo data written ({added} rows added)."))
    else:
        stdout.write("Demo data was already there; nothing added.")
    for label, total in totals:
        stdout.write(f"  {label:<22} {total:>5}")
    stdout.write(f"\nLogins (password for all: {DEMO_PASSWORD}):")
    for who, email in DEMO_LOGINS:
        stdout.write(f"  {email:<32} {who}")
