"""Staff and call-centre intake: a report staff take on someone's behalf (by phone, TEL, or
at the desk, BAL), and work orders without a tenant (a common area, a vacant home between
tenancies). Saved, routed like any other report (repair_request_submit) and, when a daypart
is chosen, booked, all or nothing."""

from django.db import transaction
from django.utils.translation import gettext as _

from portal.models import CollectiveObject, Dwelling, Tenancy, User

from ..lifecycle import Status
from ..models import CallerRelation, Channel, RepairCategory, RepairRequest, Responsibility
from ..notifications import contractor_notification_queue
from ..selectors import tenancy_current_of
from .appointments import Origin, appointment_create
from .base import NotReportable
from .requests import repair_request_submit

INTAKE_CHANNELS = (Channel.PHONE, Channel.STAFF)


@transaction.atomic
def repair_request_take(
    *,
    actor: User | None,
    dwelling: Dwelling,
    category: RepairCategory,
    description: str,
    channel: str = Channel.PHONE,
    caller_name: str = "",
    caller_phone: str = "",
    caller_relation: str = "",
    access_notes: str = "",
    collective_object: CollectiveObject | None = None,
    vacant_home: bool = False,
    slot_id: int | None = None,
) -> RepairRequest:
    """Staff take a report: for the dwelling's current tenant, for a common area (the request
    is routed by a dwelling sharing the object's postcode, and has no tenancy), or for a
    vacant home (no current tenancy; channel BAL). A chosen daypart is booked as a planner
    books it (Origin.PLANNER: the daypart's owner checks apply); an emergency is not booked
    here but told to the contractor at once, as a tenant's report is. A refusal, or a
    daypart taken meanwhile (SlotFull), leaves nothing saved.

    `actor` is None for a caller that is not a user (an association's ERP)."""
    description = description.strip()
    if not description:
        raise NotReportable(_("Write down what the caller says is wrong."))
    if channel not in INTAKE_CHANNELS:
        raise NotReportable(_("Choose phone or desk as the channel."))
    if caller_relation and caller_relation not in CallerRelation.values:
        raise NotReportable(_("Choose who the caller is."))
    if category.organisation_id != dwelling.organisation_id or not category.is_active:
        raise NotReportable(_("Choose what is broken from the list."))
    if category.responsibility == Responsibility.TENANT:
        raise NotReportable(_("This is a repair the tenant carries out; see the advice."))
    tenancy: Tenancy | None = None
    if collective_object is not None:
        if collective_object.organisation_id != dwelling.organisation_id:
            raise NotReportable(_("No common area of this association."))
        if not collective_object.dwellings().filter(pk=dwelling.pk).exists():
            raise NotReportable(_("This dwelling does not share the common area."))
    elif vacant_home:
        if tenancy_current_of(dwelling=dwelling) is not None:
            raise NotReportable(
                _("This dwelling has a current tenancy; take the report for its tenant.")
            )
        channel = Channel.STAFF
    else:
        tenancy = tenancy_current_of(dwelling=dwelling)
    repair_request = repair_request_submit(
        dwelling=dwelling,
        category=category,
        description=description,
        reported_by=actor,
        tenancy=tenancy,
        channel=channel,
        access_notes=access_notes,
        contact_phone=caller_phone.strip(),
    )
    repair_request.caller_name = caller_name.strip()
    repair_request.caller_relation = caller_relation
    repair_request.collective_object = collective_object
    repair_request.is_vacant_home = vacant_home and collective_object is None
    repair_request.save(
        update_fields=["caller_name", "caller_relation", "collective_object", "is_vacant_home"]
    )
    if repair_request.status != Status.ROUTED:
        return repair_request
    if category.is_emergency:
        contractor_notification_queue(
            repair_request=repair_request,
            kind="emergency",
            key=f"contractor-emergency-{repair_request.pk}",
        )
    elif slot_id is not None:
        appointment_create(
            repair_request=repair_request, slot=slot_id, actor=actor, origin=Origin.PLANNER
        )
        contractor_notification_queue(
            repair_request=repair_request,
            kind="booked",
            key=f"contractor-booked-{repair_request.pk}",
        )
    return repair_request
