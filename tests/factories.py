import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from contractors.models import (
    Area,
    Contract,
    Contractor,
    ContractorMembership,
    ContractorRole,
    ContractTypeFee,
    PostcodeRule,
)
from portal.models import Dwelling, DwellingType, Organisation, StaffMembership, Tenancy, User
from portal.roles import staff_group_sync
from repairs.models import RepairCategory, RepairEvent, RepairRequest, Responsibility

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
