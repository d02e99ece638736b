import datetime
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from contractors.models import (
    Area,
    Contract,
    Contractor,
    ContractorMembership,
    ContractorRole,
    ContractTypeFee,
    Daypart,
    DaypartKind,
    PostcodeRule,
    Slot,
    Weekday,
    WeeklySchedule,
)
from contractors.services import local_datetime
from portal.models import Dwelling, DwellingType, Organisation, StaffMembership, Tenancy, User
from portal.roles import staff_group_sync
from repairs.models import (
    Appointment,
    AppointmentStatus,
    Photo,
    RepairCategory,
    RepairEvent,
    RepairRequest,
    Responsibility,
)

PASSWORD = "Reparatie-2026!"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Woonstichting {n}")
    slug = factory.Sequence(lambda n: f"woonstichting-{n}")
    emergency_phone = "088 123 45 67"
    contact_email = factory.LazyAttribute(lambda o: f"info@{o.slug}.nl")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.nl")
    first_name = "Sanne"
    last_name = factory.Sequence(lambda n: f"de Vries {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class StaffUserFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def organisation(obj, create, extracted, **kwargs):
        if not create:
            return
        organisation = extracted or OrganisationFactory()
        StaffMembership.objects.create(user=obj, organisation=organisation)
        obj.groups.add(staff_group_sync())


class DwellingFactory(DjangoModelFactory):
    class Meta:
        model = Dwelling

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"VHE{n:06d}")
    street = "Kerkstraat"
    house_number = factory.Sequence(lambda n: n + 1)
    postcode = "5611AB"
    city = "Eindhoven"
    dwelling_type = DwellingType.TUSSENWONING
    in_portfolio_from = datetime.date(2000, 1, 1)


class TenancyFactory(DjangoModelFactory):
    class Meta:
        model = Tenancy

    dwelling = factory.SubFactory(DwellingFactory)
    organisation = factory.SelfAttribute("dwelling.organisation")
    contract_number = factory.Sequence(lambda n: f"HC{n:07d}")
    start_date = datetime.date(2020, 1, 1)


class ContractorFactory(DjangoModelFactory):
    class Meta:
        model = Contractor

    name = factory.Sequence(lambda n: f"Bouwbedrijf {n}")
    kvk_number = factory.Sequence(lambda n: f"{10000000 + n}")
    email = factory.Sequence(lambda n: f"planning{n}@aannemer.nl")
    phone = "040 123 45 67"


class ContractorMembershipFactory(DjangoModelFactory):
    class Meta:
        model = ContractorMembership

    user = factory.SubFactory(UserFactory)
    contractor = factory.SubFactory(ContractorFactory)
    role = ContractorRole.PLANNER


class AreaFactory(DjangoModelFactory):
    class Meta:
        model = Area

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Werkgebied {n}")


class PostcodeRuleFactory(DjangoModelFactory):
    class Meta:
        model = PostcodeRule

    area = factory.SubFactory(AreaFactory)
    organisation = factory.SelfAttribute("area.organisation")
    range_start = 5600
    range_end = 5699
    postcode = None


class ContractFactory(DjangoModelFactory):
    class Meta:
        model = Contract

    area = factory.SubFactory(AreaFactory)
    organisation = factory.SelfAttribute("area.organisation")
    contractor = factory.SubFactory(ContractorFactory)
    valid_from = datetime.date(2020, 1, 1)
    valid_until = None
    fee_per_dwelling_year = Decimal("180.00")
    sroi_pledge_percent = Decimal("5.00")


class ContractTypeFeeFactory(DjangoModelFactory):
    class Meta:
        model = ContractTypeFee

    contract = factory.SubFactory(ContractFactory)
    organisation = factory.SelfAttribute("contract.organisation")
    dwelling_type = DwellingType.GALERIJFLAT
    fee_per_dwelling_year = Decimal("150.00")


class RepairCategoryFactory(DjangoModelFactory):
    class Meta:
        model = RepairCategory

    organisation = factory.SubFactory(OrganisationFactory)
    name_nl = factory.Sequence(lambda n: f"Kraan lekt {n}")
    name_en = factory.Sequence(lambda n: f"Tap leaks {n}")
    room_code = "KEU"
    defect_code = "LEK"
    trade_code = "LOO"
    responsibility = Responsibility.LANDLORD


class RepairRequestFactory(DjangoModelFactory):
    class Meta:
        model = RepairRequest

    dwelling = factory.SubFactory(DwellingFactory)
    organisation = factory.SelfAttribute("dwelling.organisation")
    reference = factory.Sequence(lambda n: f"R-2026-{n + 900000:06d}")
    category = factory.SubFactory(
        RepairCategoryFactory, organisation=factory.SelfAttribute("..organisation")
    )
    description = "De kraan in de keuken lekt al twee dagen."


class RepairEventFactory(DjangoModelFactory):
    class Meta:
        model = RepairEvent

    request = factory.SubFactory(RepairRequestFactory)
    organisation = factory.SelfAttribute("request.organisation")
    status = "submitted"


# The hours of each daypart kind, as DESIGN.md names them (evening is the contractor's own).
DAYPART_HOURS = {
    DaypartKind.MORNING: (datetime.time(8), datetime.time(12)),
    DaypartKind.AFTERNOON: (datetime.time(12), datetime.time(17)),
    DaypartKind.EVENING: (datetime.time(17), datetime.time(21)),
}


class DaypartFactory(DjangoModelFactory):
    class Meta:
        model = Daypart
        django_get_or_create = ("contractor", "kind")

    contractor = factory.SubFactory(ContractorFactory)
    kind = DaypartKind.MORNING
    start_time = factory.LazyAttribute(lambda o: DAYPART_HOURS[o.kind][0])
    end_time = factory.LazyAttribute(lambda o: DAYPART_HOURS[o.kind][1])


class WeeklyScheduleFactory(DjangoModelFactory):
    class Meta:
        model = WeeklySchedule

    area = factory.SubFactory(AreaFactory)
    organisation = factory.SelfAttribute("area.organisation")
    contractor = factory.SubFactory(ContractorFactory)
    daypart = factory.SubFactory(DaypartFactory, contractor=factory.SelfAttribute("..contractor"))
    weekday = Weekday.MONDAY
    capacity = 2


class SlotFactory(DjangoModelFactory):
    """A slot on a date, its times taken from the daypart in Amsterdam time."""

    class Meta:
        model = Slot

    area = factory.SubFactory(AreaFactory)
    organisation = factory.SelfAttribute("area.organisation")
    contractor = factory.SubFactory(ContractorFactory)
    daypart = factory.SubFactory(DaypartFactory, contractor=factory.SelfAttribute("..contractor"))
    date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=2))
    starts_at = factory.LazyAttribute(lambda o: local_datetime(o.date, o.daypart.start_time))
    ends_at = factory.LazyAttribute(lambda o: local_datetime(o.date, o.daypart.end_time))
    capacity = 1
    booked = 0


class AppointmentFactory(DjangoModelFactory):
    """A planned visit; the slot made for it counts the visit as booked."""

    class Meta:
        model = Appointment

    request = factory.SubFactory(RepairRequestFactory)
    organisation = factory.SelfAttribute("request.organisation")
    slot = factory.SubFactory(
        SlotFactory, area__organisation=factory.SelfAttribute("...organisation"), booked=1
    )
    contractor = factory.SelfAttribute("slot.contractor")
    starts_at = factory.SelfAttribute("slot.starts_at")
    ends_at = factory.SelfAttribute("slot.ends_at")
    status = AppointmentStatus.PLANNED


class PhotoFactory(DjangoModelFactory):
    """A small JPEG written to the default storage (point MEDIA_ROOT at tmp_path first)."""

    class Meta:
        model = Photo

    request = factory.SubFactory(RepairRequestFactory)
    organisation = factory.SelfAttribute("request.organisation")
    image = factory.django.ImageField(width=32, height=24, format="JPEG", filename="photo.jpg")
    width = 32
    height = 24


@dataclass
class Chain:
    """One tenant's world: the association, the contractor of the area, the dwelling they rent
    (routed by a 5600–5699 range rule), their claimed tenancy and a landlord's category."""

    organisation: Organisation
    contractor: Contractor
    area: Area
    contract: Contract
    dwelling: Dwelling
    tenancy: Tenancy
    tenant: User
    category: RepairCategory
    morning: Daypart
    afternoon: Daypart

    def slot(
        self,
        *,
        days: int = 2,
        date: datetime.date | None = None,
        daypart: Daypart | None = None,
        capacity: int = 1,
        booked: int = 0,
    ) -> Slot:
        """A slot of the chain's contractor in its area, `days` after today by default."""
        return SlotFactory(
            area=self.area,
            contractor=self.contractor,
            daypart=daypart or self.morning,
            date=date or timezone.localdate() + datetime.timedelta(days=days),
            capacity=capacity,
            booked=booked,
        )


def chain_create(
    *,
    organisation: Organisation | None = None,
    postcode: str = "5611AB",
    tenant_email: str | None = None,
    language: str = "en",
) -> Chain:
    """Build a Chain; one per organisation, since its range rule covers 5600–5699."""
    organisation = organisation or OrganisationFactory()
    contract = ContractFactory(area=AreaFactory(organisation=organisation))
    PostcodeRuleFactory(area=contract.area, range_start=5600, range_end=5699)
    tenant = UserFactory(
        **({"email": tenant_email} if tenant_email else {}), language=language, phone="0612345678"
    )
    dwelling = DwellingFactory(organisation=organisation, postcode=postcode)
    return Chain(
        organisation=organisation,
        contractor=contract.contractor,
        area=contract.area,
        contract=contract,
        dwelling=dwelling,
        tenancy=TenancyFactory(dwelling=dwelling, tenant=tenant),
        tenant=tenant,
        category=RepairCategoryFactory(
            organisation=organisation, name_nl="Kraan lekt", name_en="Tap leaks"
        ),
        morning=DaypartFactory(contractor=contract.contractor, kind=DaypartKind.MORNING),
        afternoon=DaypartFactory(contractor=contract.contractor, kind=DaypartKind.AFTERNOON),
    )


# -- contractor side: planners, craftsmen and requests in each state --------------------------


class PlannerMembershipFactory(ContractorMembershipFactory):
    role = ContractorRole.PLANNER


class CraftsmanMembershipFactory(ContractorMembershipFactory):
    role = ContractorRole.CRAFTSMAN


def planner_create(contractor: Contractor, **user_fields) -> User:
    """A planner of the contractor: sees all its work, plans visits and sets its capacity."""
    return PlannerMembershipFactory(
        contractor=contractor, user=UserFactory(**{"language": "en", **user_fields})
    ).user


def craftsman_create(contractor: Contractor, **user_fields) -> User:
    """A craftsman of the contractor: their own visits and today's unassigned ones."""
    return CraftsmanMembershipFactory(
        contractor=contractor, user=UserFactory(**{"language": "en", **user_fields})
    ).user


def routed_request_create(chain: Chain, **fields) -> RepairRequest:
    """A request of the chain's tenant, routed to its contractor, without a visit yet: what a
    report by phone, by staff or without a free time leaves behind."""
    values = {
        "dwelling": chain.dwelling,
        "tenancy": chain.tenancy,
        "reported_by": chain.tenant,
        "category": chain.category,
        "status": "routed",
        "contract": chain.contract,
        "contractor": chain.contractor,
        "routed_at": timezone.now(),
        "contact_phone": "06 12345678",
        **fields,
    }
    repair_request = RepairRequestFactory(**values)
    RepairEventFactory(request=repair_request, status="submitted")
    RepairEventFactory(
        request=repair_request,
        status="routed",
        data={"contractor": chain.contractor.name, "area": chain.area.name},
    )
    return repair_request


def visit_create(
    repair_request: RepairRequest, slot: Slot, *, craftsman: User | None = None, **fields
) -> Appointment:
    """A visit in the slot, counted as booked there, with its "scheduled" event; a planned
    visit (the default) makes the request scheduled."""
    from django.db.models import F

    Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
    slot.refresh_from_db(fields=["booked"])
    appointment = AppointmentFactory(
        request=repair_request, slot=slot, craftsman=craftsman, **fields
    )
    RepairEventFactory(
        request=repair_request,
        status="scheduled",
        data={
            "contractor": slot.contractor.name,
            "starts_at": slot.starts_at.isoformat(),
            "ends_at": slot.ends_at.isoformat(),
            "daypart": slot.daypart.kind,
        },
    )
    if fields.get("status", AppointmentStatus.PLANNED) == AppointmentStatus.PLANNED:
        RepairRequest.objects.filter(pk=repair_request.pk).update(status="scheduled")
        repair_request.status = "scheduled"
    return appointment


def scheduled_request_create(
    chain: Chain, slot: Slot, *, craftsman: User | None = None, **fields
) -> RepairRequest:
    """A routed request with a planned visit in the slot."""
    repair_request = routed_request_create(chain, **fields)
    visit_create(repair_request, slot, craftsman=craftsman)
    return repair_request
