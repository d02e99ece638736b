"""The "Something else" choice every room offers: one category per association and room,
with VERA's generic codes (DEFECTSOORT OVE "Overig", ONDERHOUDSPECIALISME OVE "Overig"), so a
defect not in the list is reported, routed and planned like any other."""

from django.db import IntegrityError, transaction

from .models import RepairCategory, Responsibility

SOMETHING_ELSE_NL = "Iets anders"
SOMETHING_ELSE_EN = "Something else"
GENERIC_DEFECT = "OVE"
GENERIC_TRADE = "OVE"


def is_something_else(category: RepairCategory) -> bool:
    return category.defect_code == GENERIC_DEFECT and category.name_nl == SOMETHING_ELSE_NL


def something_else_for(*, organisation_id: int, room_code: str) -> RepairCategory:
    """The room's "Something else", unsaved: what the report page shows before it is sent."""
    return RepairCategory(
        organisation_id=organisation_id,
        room_code=room_code,
        defect_code=GENERIC_DEFECT,
        trade_code=GENERIC_TRADE,
        name_nl=SOMETHING_ELSE_NL,
        name_en=SOMETHING_ELSE_EN,
        responsibility=Responsibility.LANDLORD,
    )


def repair_category_something_else_get_or_create(
    *, organisation_id: int, room_code: str
) -> RepairCategory:
    """The room's "Something else" category of the association, made the first time a tenant
    reports one (repaircategory_unique_per_org keeps it to one, also when two tenants send at
    the same moment)."""
    wanted = something_else_for(organisation_id=organisation_id, room_code=room_code)
    lookup = {
        "organisation_id": organisation_id,
        "room_code": room_code,
        "defect_code": GENERIC_DEFECT,
        "name_nl": SOMETHING_ELSE_NL,
    }
    category = RepairCategory.objects.filter(**lookup).first()
    if category is not None:
        return category
    try:
        with transaction.atomic():
            wanted.save()
    except IntegrityError:
        return RepairCategory.objects.get(**lookup)
    return wanted
