"""What an API client may read, asked in one place.

Orders (onderhoudsorders) are repair requests seen from the contractor's side: a request that
is routed to a contractor and whose status has a VERA order code in the lifecycle table
(repairs.lifecycle: routed GUN, scheduled PLN, follow-up INB, completed TEC, cancelled GEA).
A contractor's client reads its orders across every association it works for; an
association's client reads the orders of its own requests. Anything else is a 404, as a
missing order is.

Written here until repairs has a selector for a contractor's orders across associations that
is not tied to a planner's membership (repairs.queue.visible_requests is)."""

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404

from repairs.lifecycle import statuses
from repairs.models import IS_OPEN, Appointment, RepairRequest

from .models import ApiClient

ORDER_STATUSES = statuses(lambda stage: stage.vera_order is not None)


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
    request_contractor_open_new); an association's newest first (request_org_created)."""
    orders = _with_order_details(orders_for_client(api_client=api_client))
    if api_client.contractor_id is not None:
        return orders.order_by(IS_OPEN.desc(), F("created_at").desc(), F("pk").desc())
    return orders.order_by("-created_at", "-pk")


def order_get_for_client(*, api_client: ApiClient, order_id: str) -> RepairRequest:
    """One order by its id (the request's reference); 404 outside the client's scope."""
    order = (
        _with_order_details(orders_for_client(api_client=api_client))
        .filter(reference=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order
