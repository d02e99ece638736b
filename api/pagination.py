"""Lists page the way OHD does: the page in the query (`pagina`, from 1), its size in the
request header X-Parameters-AantalPerPagina (at most 100; `aantalPerPagina` in the query is
read as well, for a quick look with curl), and the answer says the total, the size and the
page in the headers X-Parameters-Aantal, -AantalPerPagina and -Pagina. The body is the bare
array of that page. A page past the last one is an empty array.

A page is read in two steps (a "deferred join"): first the ids of its rows, from the list's
narrow query in the list's order with OFFSET and LIMIT (an index walk that joins nothing),
then those rows with their related rows (select_related, prefetch_related), put back in that
order. A deep page would otherwise join every row it skips before OFFSET drops it. The total
is a plain count of the list's scope, without its joins and order."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

PAGE_PARAM = "pagina"
SIZE_HEADER = "X-Parameters-AantalPerPagina"
SIZE_PARAM = "aantalPerPagina"
DEFAULT_SIZE = 20
MAX_SIZE = 100


def _positive(value: str, name: str, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or (maximum is not None and number > maximum):
        message = (
            _("Give a whole number from 1 to %(maximum)s.") % {"maximum": maximum}
            if maximum
            else _("Give a whole number from 1.")
        )
        raise ValidationError({name: [message]})
    return number


def page_rows(queryset, start: int, stop: int) -> list:
    """The rows start..stop of an ordered list: their ids first, then those rows in that order
    (a deferred join). A list that is not an ordered queryset of one table is sliced as is."""
    if (
        not isinstance(queryset, QuerySet)
        or not queryset.ordered
        or queryset.query.combinator
        or queryset.query.distinct
    ):
        return list(queryset[start:stop])
    ids = list(queryset.prefetch_related(None).values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


# What drf-spectacular writes into our own schema for every list.
LIST_PARAMETERS = [
    OpenApiParameter(
        PAGE_PARAM,
        OpenApiTypes.INT,
        OpenApiParameter.QUERY,
        description="Opgevraagde paginanummer (vanaf 1)",
    ),
    OpenApiParameter(
        SIZE_HEADER,
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        description=f"Maximaal aantal resultaten in de response (standaard {DEFAULT_SIZE}, hoogstens {MAX_SIZE})",
    ),
]
LIST_RESPONSE_HEADERS = [
    OpenApiParameter(
        "X-Parameters-Aantal",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response={200},
        description="Totaal aantal gevonden resultaten",
    ),
    OpenApiParameter(
        SIZE_HEADER,
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response={200},
        description="Het maximum aantal resultaten per pagina",
    ),
    OpenApiParameter(
        "X-Parameters-Pagina",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response={200},
        description="Het huidige paginanummer",
    ),
]


class OhdPagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.page = _positive(request.query_params.get(PAGE_PARAM, "1"), PAGE_PARAM)
        size = request.headers.get(SIZE_HEADER) or request.query_params.get(SIZE_PARAM)
        self.size = _positive(size, SIZE_PARAM, MAX_SIZE) if size is not None else DEFAULT_SIZE
        self.count = queryset.count()
        start = (self.page - 1) * self.size
        if start >= self.count:
            return []
        return page_rows(queryset, start, start + self.size)

    def get_paginated_response(self, data):
        return Response(
            data,
            headers={
                "X-Parameters-Aantal": str(self.count),
                SIZE_HEADER: str(self.size),
                "X-Parameters-Pagina": str(self.page),
            },
        )

    def get_paginated_response_schema(self, schema):
        return {**schema, "maxItems": MAX_SIZE}

    def get_schema_operation_parameters(self, view):
        return []
