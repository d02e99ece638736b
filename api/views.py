"""The VERA OHD operations: one view per resource and kind (list, read, create, change),
thin: they parse, ask a selector or call a service, and render with a serializer. Every view
inherits OhdView: an API client's token, the scope of its resource (`ohd_resource`), the
per-client throttle and Foutbericht errors come from there and from the REST_FRAMEWORK
settings. A POST is idempotent with an Idempotency-Key header (api.idempotency)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from repairs.models import Appointment, AppointmentStatus
from repairs.services.appointments import (
    Origin,
    appointment_cancel,
    appointment_plan,
    appointment_reschedule,
)
from repairs.services.base import SlotNotBookable

from . import schema  # noqa: F401 - registers the OAuth2 scheme of /api/schema/
from .idempotency import PARAMETER as IDEMPOTENCY_KEY
from .idempotency import idempotent
from .pagination import LIST_PARAMETERS, LIST_RESPONSE_HEADERS, OhdPagination
from .permissions import AssociationClientOnly, ContractorClientOnly, HasOhdScope
from .selectors import (
    appointment_get_for_client,
    appointment_list_for_client,
    category_for,
    dwelling_for_client,
    options_for_order,
    order_get_for_client,
    order_get_for_contractor,
    order_list_for_client,
    request_get_for_client,
    requests_for_client,
    slot_id_at,
    tenancy_current_of,
)
from .serializers import (
    AfspraakberichtSerializer,
    AfspraakChangeInputSerializer,
    AfspraakInputSerializer,
    AfspraakOptieSerializer,
    FoutberichtSerializer,
    OnderhoudsorderSerializer,
    OnderhoudsverzoekInputSerializer,
    OnderhoudsverzoekSerializer,
    OrderUpdateInputSerializer,
)
from .services import client_label, order_status_update, request_report_by_phone


def fout(description: str) -> OpenApiResponse:
    return OpenApiResponse(FoutberichtSerializer, description=description)


ERRORS = {
    401: fout("Geen token, of een onbekend, verlopen of ingetrokken token"),
    403: fout("Het token heeft geen scope voor deze resource"),
    429: fout("Te veel verzoeken van deze client; de header Retry-After zegt na hoeveel seconden"),
}
WRITE_ERRORS = {
    **ERRORS,
    400: fout("Een veld ontbreekt of is ongeldig (code invalid)"),
    403: fout("Het token heeft geen scope hiervoor, of de client is niet van deze soort"),
    404: fout("Niet gevonden, of niet van deze client"),
    409: fout(
        "Geweigerd door de stand van zaken: het dagdeel is vol (SlotFull), de afspraak is "
        "binnen 24 uur (ChangeTooLate), de status laat het niet toe (TransitionNotAllowed), "
        "of de Idempotency-Key hoorde bij een ander verzoek (IdempotencyKeyReused)"
    ),
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

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return super().get_permissions()
        return [HasOhdScope(), ContractorClientOnly()]

    def get_object(self):
        return order_get_for_client(api_client=self.request.user, order_id=self.kwargs["id"])

    @extend_schema(
        operation_id="updateOnderhoudsorderById",
        summary="Wijzigen van een Onderhoudsorder",
        description=(
            "A contractor's client reports on its order in VERA codes. `status.code`: GUN "
            "(accepted; an emergency is confirmed, otherwise an event on the request), INB (in "
            "progress; the portal's lifecycle has no such status, so it is an event and the "
            "status stays), PLN (planned: book an appointment instead; accepted only when a "
            "visit is planned), TEC (technically done: the planned visit is recorded as fixed, "
            "first-time fix included). A visit that did not finish the work: "
            "`onderhoudstaken[0].detailStatus.code` MAT, DIS, INS, OFF or ONV (another visit "
            "is needed) or AFW (nobody was home), with `onderhoudstaken[0].omschrijving` as "
            "the note. A visit is recorded on its day or later. Answers the order."
        ),
        tags=["Onderhoudsorders"],
        request=OrderUpdateInputSerializer,
        responses={200: OnderhoudsorderSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, *args, **kwargs):
        order = order_get_for_contractor(api_client=request.user, order_id=kwargs["id"])
        data = OrderUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_status_update(api_client=request.user, order=order, **data.validated_data)
        return Response(
            OnderhoudsorderSerializer(
                order_get_for_client(api_client=request.user, order_id=order.reference)
            ).data
        )

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


def slot_id_or_refuse(order, starts_at) -> int:
    slot_id = slot_id_at(order=order, starts_at=starts_at)
    if slot_id is None:
        raise SlotNotBookable(
            _("No daypart of this order begins at that time; fetch the appointment options.")
        )
    return slot_id


ORDER_PARAMETER = OpenApiParameter(
    "onderhoudsorder",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=True,
    description="De id van de onderhoudsorder (R-2026-000123) waarvoor opties gezocht worden",
)


class AfspraakOptieListView(OhdView, generics.ListAPIView):
    ohd_resource = "AfspraakOpties"
    serializer_class = AfspraakOptieSerializer
    pagination_class = OhdPagination
    permission_classes = [HasOhdScope, ContractorClientOnly]

    def get_queryset(self):
        order_id = self.request.query_params.get("onderhoudsorder", "").strip()
        if not order_id:
            raise ValidationError({"onderhoudsorder": [_("This field is required.")]})
        self.order = order_get_for_contractor(api_client=self.request.user, order_id=order_id)
        return options_for_order(order=self.order)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "order": getattr(self, "order", None)}

    @extend_schema(
        operation_id="listAfspraakOpties",
        summary="Ophalen van AfspraakOpties",
        description=(
            "A contractor's client: the free dayparts of its capacity for one of its orders "
            "(`onderhoudsorder`), in time order, from now for the coming 14 days, each with "
            "room for one more visit. Book one by POSTing its begindatum to afspraken."
        ),
        tags=["AfspraakOpties"],
        parameters=[ORDER_PARAMETER, *LIST_PARAMETERS, *LIST_RESPONSE_HEADERS],
        responses={
            200: AfspraakOptieSerializer(many=True),
            400: fout("onderhoudsorder ontbreekt, of pagina of aantalPerPagina buiten bereik"),
            404: fout("De order bestaat niet of is niet van deze client"),
            **ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _appointment_response(appointment: Appointment, status: int = 200) -> Response:
    appointment = Appointment.objects.select_related("request", "organisation").get(
        pk=appointment.pk
    )
    headers = {}
    if status == 201:
        headers["Location"] = reverse("api:afspraak", kwargs={"id": appointment.pk})
    return Response(AfspraakberichtSerializer(appointment).data, status=status, headers=headers)


class AfspraakListView(OhdView, generics.ListAPIView):
    ohd_resource = "Afspraken"
    serializer_class = AfspraakberichtSerializer
    pagination_class = OhdPagination
    permission_classes = [HasOhdScope, ContractorClientOnly]

    def get_queryset(self):
        return appointment_list_for_client(api_client=self.request.user)

    @extend_schema(
        operation_id="listAfspraken",
        summary="Ophalen van Afspraken",
        description=(
            "A contractor's client: its visits across every association it works for, "
            "planned (GEP), done (AFG) and cancelled or moved (ANN), the latest first. A "
            "moved visit is two: the old one ANN, the new one at the new time."
        ),
        tags=["Afspraken"],
        parameters=[*LIST_PARAMETERS, *LIST_RESPONSE_HEADERS],
        responses={
            200: AfspraakberichtSerializer(many=True),
            400: fout("pagina of aantalPerPagina buiten bereik"),
            **ERRORS,
            403: fout("Het token heeft geen scope hiervoor, of de client is niet van een aannemer"),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="createAfspraak",
        summary="Voegt een nieuw(e) Afspraak toe.",
        description=(
            "A contractor's client books a visit for its order (`onderhoudsorder.id`) in the "
            "free daypart that begins at `begindatum` (from afspraak-opties), through the "
            "portal's one booking: the daypart's place is taken under a lock, the order "
            "becomes planned and the tenant is mailed an invitation. When the last place was "
            "just taken, 409 SlotFull. An order with a planned visit moves it with PATCH."
        ),
        tags=["Afspraken"],
        parameters=[IDEMPOTENCY_KEY],
        request=AfspraakInputSerializer,
        responses={201: AfspraakberichtSerializer, **WRITE_ERRORS},
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        data = AfspraakInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_get_for_contractor(
            api_client=request.user, order_id=data.validated_data["onderhoudsorder"]
        )
        slot_id = slot_id_or_refuse(order, data.validated_data["begindatum"])
        appointment = appointment_plan(
            repair_request=order,
            slot_id=slot_id,
            actor=None,
            move_existing=False,
            origin=Origin.API,
            via=client_label(request.user),
        )
        return _appointment_response(appointment, status=201)


class AfspraakDetailView(OhdView):
    ohd_resource = "Afspraken"
    permission_classes = [HasOhdScope, ContractorClientOnly]

    @extend_schema(
        operation_id="readAfspraakById",
        summary="Retourneert een Afspraak met de gegeven identifier",
        description="A visit of the contractor's client, by its id.",
        tags=["Afspraken"],
        responses={200: AfspraakberichtSerializer, 404: fout("Niet gevonden"), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        appointment = appointment_get_for_client(
            api_client=request.user, appointment_id=kwargs["id"]
        )
        return _appointment_response(appointment)

    @extend_schema(
        operation_id="updateAfspraakById",
        summary="Wijzigen van een Afspraak",
        description=(
            "Move the planned visit to the free daypart that begins at a new `begindatum` "
            "(the visit at the old time becomes ANN and a new one is planned: its id is in "
            "the answer), or cancel it with `status.code` ANN (the order goes back to GUN, "
            "to be planned again). Either until 24 hours before the visit, as for the tenant "
            "(409 ChangeTooLate after); the tenant is mailed the new invitation."
        ),
        tags=["Afspraken"],
        request=AfspraakChangeInputSerializer,
        responses={200: AfspraakberichtSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, *args, **kwargs):
        appointment = appointment_get_for_client(
            api_client=request.user, appointment_id=kwargs["id"]
        )
        data = AfspraakChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if appointment.status != AppointmentStatus.PLANNED:
            raise SlotNotBookable(_("This visit is no longer planned, so it cannot change."))
        order = appointment.request
        via = client_label(request.user)
        if data.validated_data["cancel"]:
            appointment_cancel(repair_request=order, actor=None, via=via)
            return _appointment_response(appointment)
        slot_id = slot_id_or_refuse(order, data.validated_data["begindatum"])
        moved = appointment_reschedule(
            repair_request=order, slot_id=slot_id, actor=None, origin=Origin.API, via=via
        )
        return _appointment_response(moved)


class OnderhoudsverzoekListView(OhdView, generics.ListAPIView):
    ohd_resource = "Onderhoudsverzoeken"
    serializer_class = OnderhoudsverzoekSerializer
    pagination_class = OhdPagination
    permission_classes = [HasOhdScope, AssociationClientOnly]

    def get_queryset(self):
        return requests_for_client(api_client=self.request.user)

    @extend_schema(
        operation_id="listOnderhoudsverzoeken",
        summary="Ophalen van Onderhoudsverzoeken",
        description="An association's client: its requests, routed or not, newest first.",
        tags=["Onderhoudsverzoeken"],
        parameters=[*LIST_PARAMETERS, *LIST_RESPONSE_HEADERS],
        responses={
            200: OnderhoudsverzoekSerializer(many=True),
            400: fout("pagina of aantalPerPagina buiten bereik"),
            **ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="createOnderhoudsverzoek",
        summary="Voegt een nieuw(e) Onderhoudsverzoek toe.",
        description=(
            "An association's ERP passes on a tenant's report taken by phone: the dwelling "
            "(`eenheid.id`, its VHE number), what is broken where (`defecten[0].soort.code` "
            "and `.locatie.code`, matching one of the association's categories), the tenant's "
            "words (`omschrijving`) and a phone number (`alternatiefContactgegeven`). Saved "
            "with channel TEL under the dwelling's current tenancy and routed like any "
            "report: its order goes to the area's contractor, and the periodic planning "
            "plans a visit."
        ),
        tags=["Onderhoudsverzoeken"],
        parameters=[IDEMPOTENCY_KEY],
        request=OnderhoudsverzoekInputSerializer,
        responses={201: OnderhoudsverzoekSerializer, **WRITE_ERRORS},
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        data = OnderhoudsverzoekInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        dwelling = dwelling_for_client(api_client=request.user, reference=values["eenheid"])
        if dwelling is None:
            raise ValidationError({"eenheid": [_("No dwelling of this association.")]})
        category = category_for(organisation_id=dwelling.organisation_id, **values["defecten"])
        if category is None:
            raise ValidationError(
                {"defecten": [_("No category of this association has this soort and locatie.")]}
            )
        repair_request = request_report_by_phone(
            api_client=request.user,
            dwelling=dwelling,
            category=category,
            description=values["omschrijving"],
            tenancy=tenancy_current_of(dwelling=dwelling),
            contact_phone=values.get("alternatiefContactgegeven", ""),
        )
        created = request_get_for_client(
            api_client=request.user, request_id=repair_request.reference
        )
        return Response(
            OnderhoudsverzoekSerializer(created).data,
            status=201,
            headers={
                "Location": reverse("api:onderhoudsverzoek", kwargs={"id": created.reference})
            },
        )


class OnderhoudsverzoekDetailView(OhdView, generics.RetrieveAPIView):
    ohd_resource = "Onderhoudsverzoeken"
    serializer_class = OnderhoudsverzoekSerializer
    permission_classes = [HasOhdScope, AssociationClientOnly]

    def get_object(self):
        return request_get_for_client(api_client=self.request.user, request_id=self.kwargs["id"])

    @extend_schema(
        operation_id="readOnderhoudsverzoekById",
        summary="Retourneert een Onderhoudsverzoek met de gegeven identifier",
        description="The id is the request's reference (R-2026-000123).",
        tags=["Onderhoudsverzoeken"],
        responses={200: OnderhoudsverzoekSerializer, 404: fout("Niet gevonden"), **ERRORS},
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
