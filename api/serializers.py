"""Our rows in OHD's words: field names, nesting and reference codes as OHD.yaml writes them,
and in our schema under OHD's component names (a resource's own parts prefixed with it, as
OHD does: Onderhoudsorders-Afspraak is not Afspraken-Afspraak).

Fields without a value are left out rather than sent as null (OHD's schemas allow no null).
Dates and times are in UTC with a Z, as OHD's validation patterns ask."""

import datetime

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from repairs.models import Appointment, RepairRequest

from . import vera
from .services import ORDER_STATUS_CODES, TASK_DETAIL_CODES


def utc(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _without_empty(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, "")}


class FoutberichtSerializer(serializers.Serializer):
    """OHD's error message (api.errors)."""

    code = serializers.CharField()
    omschrijving = serializers.CharField()


class ReferentiedataSerializer(serializers.Serializer):
    code = serializers.CharField()
    naam = serializers.CharField()


class SleutelsSerializer(serializers.Serializer):
    id = serializers.CharField()
    code = serializers.CharField(required=False)


class UtcDateTimeField(serializers.DateTimeField):
    """A moment in UTC with a Z, as OHD's validation patterns ask."""

    def to_representation(self, value: datetime.datetime) -> str:
        return utc(value)


@extend_schema_field(SleutelsSerializer)
class ContractKeyField(serializers.Field):
    """The contract an order is given under, as OHD's sleutel of the overeenkomst."""

    def to_representation(self, value: int) -> dict[str, str]:
        return {"id": str(value)}


@extend_schema_serializer(component_name="Onderhoudsorders-Afspraak")
class AfspraakSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = ReferentiedataSerializer()
    begindatum = serializers.DateTimeField()
    einddatum = serializers.DateTimeField()


@extend_schema_serializer(component_name="Onderhoudsorders-Defect")
class DefectSerializer(serializers.Serializer):
    soort = ReferentiedataSerializer()
    locatie = ReferentiedataSerializer()
    omschrijving = serializers.CharField()
    melddatum = serializers.DateTimeField()
    eenheid = SleutelsSerializer()


@extend_schema_serializer(component_name="Onderhoudsorders-Onderhoudstaak")
class OnderhoudstaakSerializer(serializers.Serializer):
    specialisme = ReferentiedataSerializer()


class ExtraAttribuutSerializer(serializers.Serializer):
    naam = serializers.CharField()
    waarde = serializers.CharField()


def appointment_data(appointment: Appointment) -> dict:
    return {
        "id": str(appointment.pk),
        "status": vera.referentiedata(vera.APPOINTMENT_STATUS, appointment.vera_status),
        "begindatum": utc(appointment.starts_at),
        "einddatum": utc(appointment.ends_at),
    }


@extend_schema_serializer(component_name="Onderhoudsorders-Onderhoudsorderbericht")
class OnderhoudsorderSerializer(serializers.Serializer):
    """A routed repair request as the contractor's order (Onderhoudsorders-Onderhoudsorder).

    id and code are the request's reference (R-2026-000123); idOrganisatie is the short name
    of the association whose order it is; the dwelling is the defect's eenheid (its VHE
    number).

    The address and the phone number the tenant gave for this repair are extra attributes
    (adres, postcode, woonplaats, telefoon), as are whether it is an emergency (spoed) and how
    to get in (toegang): OHD's order has no address of its own, and its address and
    contact-detail schemas (Adres, Contactgegeven) are a oneOf of two schemas that every
    object satisfies both of, so no value of theirs validates against the standard."""

    id = serializers.CharField(source="reference")
    code = serializers.CharField(source="reference")
    idOrganisatie = serializers.CharField(source="organisation.slug")
    onderhoudSoort = serializers.SerializerMethodField()
    omschrijving = serializers.CharField(source="description")
    status = serializers.SerializerMethodField()
    # Left out while they have no value, so not required in our schema.
    opdrachtdatum = UtcDateTimeField(source="routed_at", required=False)
    technischGereeddatum = UtcDateTimeField(source="completed_at", required=False)
    # The contract's norm: the latest moment the repair should be done.
    uitersteGereeddatum = UtcDateTimeField(source="complete_due_at", required=False)
    afspraken = serializers.SerializerMethodField()
    defecten = serializers.SerializerMethodField()
    onderhoudstaken = serializers.SerializerMethodField()
    onderhoudsverzoeken = serializers.SerializerMethodField()
    overeenkomst = ContractKeyField(source="contract_id", required=False)
    uitvoerendeSoort = serializers.SerializerMethodField()

    def get_fields(self):
        fields = super().get_fields()
        # OHD's name has a hyphen, which no Python attribute can carry.
        fields["extra-attributen"] = serializers.SerializerMethodField(
            method_name="get_extra_attributen"
        )
        return fields

    def to_representation(self, instance: RepairRequest) -> dict:
        return _without_empty(super().to_representation(instance))

    @extend_schema_field(ReferentiedataSerializer)
    def get_onderhoudSoort(self, order: RepairRequest) -> dict:
        return vera.referentiedata(vera.MAINTENANCE_KIND, order.maintenance_kind)

    @extend_schema_field(ReferentiedataSerializer)
    def get_status(self, order: RepairRequest) -> dict:
        return vera.referentiedata(vera.ORDER_STATUS, order.vera_order_status)

    @extend_schema_field(AfspraakSerializer(many=True))
    def get_afspraken(self, order: RepairRequest) -> list[dict]:
        return [appointment_data(visit) for visit in order.visits]

    @extend_schema_field(DefectSerializer(many=True))
    def get_defecten(self, order: RepairRequest) -> list[dict]:
        category = order.category
        return [
            {
                "soort": vera.referentiedata(vera.DEFECT, category.defect_code),
                "locatie": vera.referentiedata(vera.ROOM, category.room_code),
                "omschrijving": category.name_nl,
                "melddatum": utc(order.created_at),
                "eenheid": {"id": order.dwelling.reference, "code": order.dwelling.reference},
            }
        ]

    @extend_schema_field(OnderhoudstaakSerializer(many=True))
    def get_onderhoudstaken(self, order: RepairRequest) -> list[dict]:
        return [{"specialisme": vera.referentiedata(vera.TRADE, order.category.trade_code)}]

    @extend_schema_field(SleutelsSerializer(many=True))
    def get_onderhoudsverzoeken(self, order: RepairRequest) -> list[dict]:
        return [{"id": order.reference, "code": order.reference}]

    @extend_schema_field(ReferentiedataSerializer)
    def get_uitvoerendeSoort(self, order: RepairRequest) -> dict:
        return vera.referentiedata(vera.EXECUTOR_KIND, "LEV")

    @extend_schema_field(ExtraAttribuutSerializer(many=True))
    def get_extra_attributen(self, order: RepairRequest) -> list[dict]:
        dwelling = order.dwelling
        extra = {
            "adres": f"{dwelling.street} {dwelling.house_number}{dwelling.house_number_suffix}",
            "postcode": dwelling.postcode,
            "woonplaats": dwelling.city,
            "telefoon": order.contact_phone,
            "toegang": order.access_notes,
            "spoed": "true" if order.is_urgent else "false",
        }
        return [{"naam": name, "waarde": value} for name, value in extra.items() if value]


# -- input -----------------------------------------------------------------------------------


class CodeInputSerializer(serializers.Serializer):
    """A Referentiedata or a sleutel as a client sends it: the code (or id) is what counts."""

    code = serializers.CharField(required=False, allow_blank=True)
    id = serializers.CharField(required=False, allow_blank=True)
    naam = serializers.CharField(required=False, allow_blank=True)


class TaskInputSerializer(serializers.Serializer):
    detailStatus = CodeInputSerializer(required=False)
    omschrijving = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VisitKeyInputSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, allow_blank=True)


class OrderUpdateInputSerializer(serializers.Serializer):
    """PATCH onderhoudsorders/{id}: the order's status (GUN, PLN, INB, TEC), or a visit's
    outcome as a task's detail status (MAT, DIS, INS, OFF, ONV, AFW), with an optional note
    (the task's omschrijving) and the visit it is about (afspraken[0].id, the planned one by
    default). Other fields of the order are not the contractor's to change and are ignored."""

    status = CodeInputSerializer(required=False)
    onderhoudstaken = TaskInputSerializer(many=True, required=False)
    afspraken = VisitKeyInputSerializer(many=True, required=False)

    def validate(self, data):
        status = (data.get("status") or {}).get("code", "")
        details = [
            task.get("detailStatus", {}).get("code", "")
            for task in data.get("onderhoudstaken", [])
            if task.get("detailStatus", {}).get("code")
        ]
        notes = " ".join(
            task["omschrijving"]
            for task in data.get("onderhoudstaken", [])
            if task.get("omschrijving")
        )
        visits = [visit["id"] for visit in data.get("afspraken", []) if visit.get("id")]
        if len(details) > 1:
            raise serializers.ValidationError(
                {"onderhoudstaken": [_("Give one task detail status per visit.")]}
            )
        if details and details[0] not in TASK_DETAIL_CODES:
            raise serializers.ValidationError(
                {"onderhoudstaken": [_("Give one of MAT, DIS, INS, OFF, ONV or AFW.")]}
            )
        if details and status not in ("", "INB"):
            raise serializers.ValidationError(
                {"status": [_("A visit that did not finish the work leaves the order INB.")]}
            )
        if not details and status not in ORDER_STATUS_CODES:
            raise serializers.ValidationError({"status": [_("Give one of GUN, PLN, INB or TEC.")]})
        return {
            "status_code": "" if details else status,
            "detail_code": details[0] if details else "",
            "notes": notes,
            "appointment_id": visits[0] if visits else "",
        }


class AfspraakInputSerializer(serializers.Serializer):
    """POST afspraken: the order (onderhoudsorder.id) and the start of a free daypart
    (begindatum, from afspraak-opties)."""

    onderhoudsorder = CodeInputSerializer()
    begindatum = serializers.DateTimeField()

    def validate_onderhoudsorder(self, value):
        order_id = value.get("id") or value.get("code")
        if not order_id:
            raise serializers.ValidationError(_("Give the order's id."))
        return order_id


class AfspraakChangeInputSerializer(serializers.Serializer):
    """PATCH afspraken/{id}: a new begindatum moves the visit; status ANN cancels it."""

    begindatum = serializers.DateTimeField(required=False)
    status = CodeInputSerializer(required=False)

    def validate(self, data):
        status = (data.get("status") or {}).get("code", "")
        if status and status not in ("ANN", "GEP"):
            raise serializers.ValidationError({"status": [_("Give ANN to cancel the visit.")]})
        cancel = status == "ANN"
        if cancel == ("begindatum" in data):
            raise serializers.ValidationError(
                _("Give a new begindatum to move the visit, or status ANN to cancel it.")
            )
        return {"cancel": cancel, "begindatum": data.get("begindatum")}


class OnderhoudsverzoekInputSerializer(serializers.Serializer):
    """POST onderhoudsverzoeken: the dwelling (eenheid, by its VHE number), what is broken
    where (defecten[0].soort and .locatie, VERA codes matching one of the association's
    categories), the tenant's words (omschrijving), and optionally a phone number
    (alternatiefContactgegeven)."""

    eenheid = CodeInputSerializer()
    defecten = serializers.ListField(child=serializers.DictField(), min_length=1)
    omschrijving = serializers.CharField(max_length=2000)
    alternatiefContactgegeven = serializers.CharField(
        required=False, allow_blank=True, max_length=30
    )

    def validate_eenheid(self, value):
        reference = value.get("id") or value.get("code")
        if not reference:
            raise serializers.ValidationError(_("Give the dwelling's VHE number."))
        return reference

    def validate_defecten(self, value):
        def code(part) -> str:
            found = part.get("code") if isinstance(part, dict) else None
            return found.strip() if isinstance(found, str) else ""

        soort, locatie = code(value[0].get("soort")), code(value[0].get("locatie"))
        if not soort or not locatie:
            raise serializers.ValidationError(_("Give the defect's soort and locatie codes."))
        # As every CharField of DRF does: no NUL, which PostgreSQL text cannot hold.
        ProhibitNullCharactersValidator()(soort + locatie)
        return {"defect": soort, "room": locatie}


# -- output ----------------------------------------------------------------------------------


def sleutel(value: str) -> dict[str, str]:
    return {"id": value, "code": value}


@extend_schema_serializer(component_name="Afspraken-Afspraakbericht")
class AfspraakberichtSerializer(serializers.Serializer):
    """A visit as OHD's Afspraak: id is ours (a number), the order and the request are the
    request's reference, the status VERA AFSPRAAKSTATUS (GEP planned, AFG done, ANN cancelled
    or moved: a moved visit is a new one at the new time)."""

    id = serializers.CharField()
    idOrganisatie = serializers.CharField()
    status = ReferentiedataSerializer()
    begindatum = serializers.DateTimeField()
    einddatum = serializers.DateTimeField()
    onderhoudsorder = SleutelsSerializer()
    onderhoudsverzoek = SleutelsSerializer()

    def to_representation(self, appointment: Appointment) -> dict:
        reference = appointment.request.reference
        return {
            **appointment_data(appointment),
            "idOrganisatie": appointment.organisation.slug,
            "onderhoudsorder": sleutel(reference),
            "onderhoudsverzoek": sleutel(reference),
        }


@extend_schema_serializer(component_name="AfspraakOpties-AfspraakOptiebericht")
class AfspraakOptieSerializer(serializers.Serializer):
    """A free daypart of the contractor for the order: its id is the daypart's; book it by
    POSTing its begindatum with the order to afspraken. bloktijdBegin/-Eind are the daypart
    (the visit starts within it); duur is the daypart's length."""

    id = serializers.CharField()
    begindatum = serializers.DateTimeField()
    einddatum = serializers.DateTimeField()
    bloktijdBegin = serializers.DateTimeField()
    bloktijdEind = serializers.DateTimeField()
    onderhoudsorder = SleutelsSerializer()

    def to_representation(self, slot) -> dict:
        order = self.context["order"]
        return {
            "id": str(slot.pk),
            "begindatum": utc(slot.starts_at),
            "einddatum": utc(slot.ends_at),
            "bloktijdBegin": utc(slot.starts_at),
            "bloktijdEind": utc(slot.ends_at),
            "onderhoudsorder": sleutel(order.reference),
        }


@extend_schema_serializer(component_name="Onderhoudsverzoeken-Defect")
class VerzoekDefectSerializer(serializers.Serializer):
    soort = ReferentiedataSerializer()
    locatie = ReferentiedataSerializer()
    omschrijving = serializers.CharField()


@extend_schema_serializer(component_name="Onderhoudsverzoeken-Contactmoment")
class ContactmomentSerializer(serializers.Serializer):
    datum = serializers.DateTimeField()
    kanaal = ReferentiedataSerializer()


@extend_schema_serializer(component_name="Onderhoudsverzoeken-Onderhoudsverzoekbericht")
class OnderhoudsverzoekSerializer(serializers.Serializer):
    """A repair request as the association's onderhoudsverzoek: id and code its reference;
    status VERA ONDERHOUDSVERZOEKSTATUS (repairs.lifecycle); the channel it came in by is its
    contactmoment's kanaal (TEL for a phone report); onderhoudsorders names the order once it
    is routed to a contractor."""

    id = serializers.CharField()
    code = serializers.CharField()
    idOrganisatie = serializers.CharField()
    omschrijving = serializers.CharField()
    melddatum = serializers.DateTimeField()
    status = ReferentiedataSerializer()
    onderhoudSoort = ReferentiedataSerializer()
    eenheid = SleutelsSerializer()
    defecten = VerzoekDefectSerializer(many=True)
    contactmomenten = ContactmomentSerializer(many=True)
    onderhoudsorders = SleutelsSerializer(many=True)
    alternatiefContactgegeven = serializers.CharField(required=False)

    def to_representation(self, request: RepairRequest) -> dict:
        category = request.category
        return _without_empty(
            {
                "id": request.reference,
                "code": request.reference,
                "idOrganisatie": request.organisation.slug,
                "omschrijving": request.description,
                "melddatum": utc(request.created_at),
                "status": vera.referentiedata(vera.REQUEST_STATUS, request.vera_status),
                "onderhoudSoort": vera.referentiedata(
                    vera.MAINTENANCE_KIND, request.maintenance_kind
                ),
                "eenheid": sleutel(request.dwelling.reference),
                "defecten": [
                    {
                        "soort": vera.referentiedata(vera.DEFECT, category.defect_code),
                        "locatie": vera.referentiedata(vera.ROOM, category.room_code),
                        "omschrijving": category.name_nl,
                    }
                ],
                "contactmomenten": [
                    {
                        "datum": utc(request.created_at),
                        "kanaal": vera.referentiedata(vera.CHANNEL, request.vera_channel),
                    }
                ],
                "onderhoudsorders": (
                    [sleutel(request.reference)] if request.vera_order_status else []
                ),
                "alternatiefContactgegeven": request.contact_phone,
            }
        )
