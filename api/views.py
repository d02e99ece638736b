"""The VERA OHD operations: one view per resource and kind (list, read), thin: they ask a
selector and render with a serializer. Every view inherits OhdView: an API client's token,
the scope of its resource (`ohd_resource`), the per-client throttle and Foutbericht errors
come from there and from the REST_FRAMEWORK settings."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import schema  # noqa: F401 - registers the OAuth2 scheme of /api/schema/
from .pagination import LIST_PARAMETERS, LIST_RESPONSE_HEADERS, OhdPagination
from .selectors import order_get_for_client, order_list_for_client
from .serializers import FoutberichtSerializer, OnderhoudsorderSerializer


def fout(description: str) -> OpenApiResponse:
    return OpenApiResponse(FoutberichtSerializer, description=description)


ERRORS = {
    401: fout("Geen token, of een onbekend, verlopen of ingetrokken token"),
    403: fout("Het token heeft geen scope voor deze resource"),
    429: fout("Te veel verzoeken van deze client; de header Retry-After zegt na hoeveel seconden"),
}


class OhdView(APIView):
    """The base of every OHD operation. `ohd_resource` names the OHD resource whose scopes
    open it (None: any valid token)."""

    ohd_resource: str | None = None


class PingView(OhdView):
    @extend_schema(
        operation_id="ping",
        summary="Een ping wordt beantwoord met response code 200",
        description="Any valid token, whatever its scopes.",
        responses={200: OpenApiResponse(description="OK"), **ERRORS},
        tags=["Ping"],
    )
    def get(self, request):
        return Response(status=200)


class OnderhoudsorderListView(OhdView, generics.ListAPIView):
    ohd_resource = "Onderhoudsorders"
    serializer_class = OnderhoudsorderSerializer
    pagination_class = OhdPagination

    def get_queryset(self):
        return order_list_for_client(api_client=self.request.user)

    @extend_schema(
        operation_id="listOnderhoudsorders",
        summary="Ophalen van Onderhoudsorders",
        description=(
            "A contractor's client: its orders across every association it works for, open "
            "ones first, then newest first. An association's client: the orders of its own "
            "requests, newest first."
        ),
        tags=["Onderhoudsorders"],
        parameters=[*LIST_PARAMETERS, *LIST_RESPONSE_HEADERS],
        responses={
            200: OnderhoudsorderSerializer(many=True),
            400: fout("pagina of aantalPerPagina buiten bereik"),
            **ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OnderhoudsorderDetailView(OhdView, generics.RetrieveAPIView):
    ohd_resource = "Onderhoudsorders"
    serializer_class = OnderhoudsorderSerializer

    def get_object(self):
        return order_get_for_client(api_client=self.request.user, order_id=self.kwargs["id"])

    @extend_schema(
        operation_id="readOnderhoudsorderById",
        summary="Retourneert een Onderhoudsorder met de gegeven identifier",
        description="The id is the request's reference (R-2026-000123).",
        tags=["Onderhoudsorders"],
        responses={
            200: OnderhoudsorderSerializer,
            404: OpenApiResponse(
                description="Niet gevonden, of niet van deze client (Foutbericht)"
            ),
            **ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OhdNotFoundView(APIView):
    """Any other path under the base path: OHD's 404 as a Foutbericht, not the portal's page
    (a resource OHD defines but this portal does not serve yet answers so too)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise NotFound

    post = put = patch = delete = get
