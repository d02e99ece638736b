"""What an API client may read, asked in one place.

Appointments (afspraken) and appointment options (afspraak-opties) are a contractor's: its
visits, and the free dayparts of its capacity for one of its orders. Requests
(onderhoudsverzoeken) are an association's: all of its own, routed or not.

Orders (onderhoudsorders) are repair requests seen from the contractor's side: a request that
is routed to a contractor and whose status has a VERA order code in the lifecycle table
(repairs.lifecycle: routed GUN, scheduled PLN, follow-up INB, completed TEC, cancelled GEA).
A contractor's client reads its orders across every association it works for; an
association's client reads the orders of its own requests. Anything else is a 404, as a
missing order is.

Written here until repairs has a selector for a contractor's orders across associations that
is not tied to a planner's membership (repairs.queue.visible_requests is)."""

import datetime
import re

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from contractors.models import Slot
from portal.models import Dwelling, Tenancy
from repairs.lifecycle import PLANNABLE_STATUSES
from repairs.models import (
    IS_OPEN,
    ORDER_STATUSES,
    Appointment,
    RepairCategory,
    RepairRequest,
)
from repairs.selectors import PLAN_DAYS_AHEAD, slots_free_for

from .models import ApiClient


def _no_such_key(key: str) -> bool:
    """A key no row can have: PostgreSQL text holds no NUL character, and would refuse the
    query rather than find nothing."""
    return "\x00" in key


def orders_for_client(*, api_client: ApiClient) -> QuerySet[RepairRequest]:
    """The client's orders, unordered and without related rows: the scope alone."""
    orders = RepairRequest.objects.filter(status__in=ORDER_STATUSES)
    if api_client.contractor_id is not None:
        return orders.filter(contractor_id=api_client.contractor_id)
    if api_client.organisation_id is not None:
        return orders.filter(organisation_id=api_client.organisation_id, contractor__isnull=False)
    return orders.none()


def _with_order_details(orders: QuerySet[RepairRequest]) -> QuerySet[RepairRequest]:
    return orders.select_related("organisation", "dwelling", "category").prefetch_related(
        Prefetch(
            "appointments",
            queryset=Appointment.objects.order_by("starts_at", "pk"),
            to_attr="visits",
        )
    )


def order_list_for_client(*, api_client: ApiClient) -> QuerySet[RepairRequest]:
    """A contractor's orders open ones first, then newest first (the index
    request_contractor_orders, from which a page's ids and the total are read alone); an
    association's newest first (request_org_created)."""
    orders = _with_order_details(orders_for_client(api_client=api_client))
    if api_client.contractor_id is not None:
        return orders.order_by(IS_OPEN.desc(), F("created_at").desc(), F("pk").desc())
    return orders.order_by("-created_at", "-pk")


def order_get_for_client(*, api_client: ApiClient, order_id: str) -> RepairRequest:
    """One order by its id (the request's reference); 404 outside the client's scope."""
    if _no_such_key(order_id):
        raise Http404
    order = (
        _with_order_details(orders_for_client(api_client=api_client))
        .filter(reference=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order


def order_get_for_contractor(*, api_client: ApiClient, order_id: str) -> RepairRequest:
    """One order of the contractor's client, to change: 404 outside its scope (and for an
    association's client, whose orders are not its to carry out)."""
    if api_client.contractor_id is None or _no_such_key(order_id):
        raise Http404
    order = (
        orders_for_client(api_client=api_client)
        .select_related("contract", "contractor")
        .filter(reference=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order


def options_for_order(*, order: RepairRequest, now: datetime.datetime | None = None) -> QuerySet:
    """The free dayparts of the order's contractor in its area that the contractor's system
    may book: every one not over yet, for the coming PLAN_DAYS_AHEAD days, as a planner may
    (repairs.selectors.slots_free_for). An order that cannot be planned has none."""
    if order.status not in PLANNABLE_STATUSES:
        return Slot.objects.none()
    return slots_free_for(repair_request=order, from_now=True, days=PLAN_DAYS_AHEAD, now=now)


def slot_id_at(*, order: RepairRequest, starts_at: datetime.datetime) -> int | None:
    """The daypart of the order's contractor in its area that begins at starts_at, full or
    not (booking it is the service's to refuse)."""
    if order.contract_id is None:
        return None
    return (
        Slot.objects.filter(
            contractor_id=order.contractor_id, area_id=order.contract.area_id, starts_at=starts_at
        )
        .values_list("pk", flat=True)
        .first()
    )


def appointment_get_for_client(*, api_client: ApiClient, appointment_id: str) -> Appointment:
    """One visit of the contractor's client by its id; 404 outside its scope."""
    # Digits 0-9 only: str.isdigit() also takes "²", which int() refuses.
    if api_client.contractor_id is None or not re.fullmatch(r"[0-9]+", str(appointment_id)):
        raise Http404
    appointment = (
        Appointment.objects.filter(pk=int(appointment_id), contractor_id=api_client.contractor_id)
        .select_related("request", "organisation")
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def appointment_list_for_client(*, api_client: ApiClient) -> QuerySet[Appointment]:
    """The contractor's visits across every association it works for, planned, done and
    cancelled, latest first (the index appointment_contractor_start). An association's
    client: none (its reads are requests and orders)."""
    if api_client.contractor_id is None:
        return Appointment.objects.none()
    return (
        Appointment.objects.filter(contractor_id=api_client.contractor_id)
        .select_related("request", "organisation")
        .order_by("-starts_at", "-pk")
    )


def requests_for_client(*, api_client: ApiClient) -> QuerySet[RepairRequest]:
    """An association's client: its requests, newest first (request_org_created), routed or
    not. A contractor's client: none (its orders are onderhoudsorders)."""
    if api_client.organisation_id is None:
        return RepairRequest.objects.none()
    return (
        RepairRequest.objects.filter(organisation_id=api_client.organisation_id)
        .select_related("organisation", "dwelling", "category")
        .order_by("-created_at", "-pk")
    )


def request_get_for_client(*, api_client: ApiClient, request_id: str) -> RepairRequest:
    if _no_such_key(request_id):
        raise Http404
    request = requests_for_client(api_client=api_client).filter(reference=request_id).first()
    if request is None:
        raise Http404
    return request


def dwelling_for_client(*, api_client: ApiClient, reference: str) -> Dwelling | None:
    """The association's dwelling by its VHE number."""
    if _no_such_key(reference):
        return None
    return Dwelling.objects.filter(
        organisation_id=api_client.organisation_id, reference=reference.strip()
    ).first()


def category_for(*, organisation_id: int, defect: str, room: str) -> RepairCategory | None:
    """The association's category offered for this defect in this room (VERA codes)."""
    if _no_such_key(defect) or _no_such_key(room):
        return None
    return (
        RepairCategory.objects.filter(
            organisation_id=organisation_id, defect_code=defect, room_code=room, is_active=True
        )
        .order_by("pk")
        .first()
    )


def tenancy_current_of(*, dwelling: Dwelling) -> Tenancy | None:
    today = timezone.localdate()
    return (
        Tenancy.objects.filter(dwelling=dwelling, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .order_by("-start_date", "-pk")
        .first()
    )
