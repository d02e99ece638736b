"""Our rows in OHD's words: field names, nesting and reference codes as OHD.yaml writes them,
and in our schema under OHD's component names (a resource's own parts prefixed with it, as
OHD does: Onderhoudsorders-Afspraak is not Afspraken-Afspraak).

Fields without a value are left out rather than sent as null (OHD's schemas allow no null).
Dates and times are in UTC with a Z, as OHD's validation patterns ask."""

import datetime

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from repairs.models import Appointment, RepairRequest

from . import vera


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
    opdrachtdatum = serializers.SerializerMethodField()
    technischGereeddatum = serializers.SerializerMethodField()
    uitersteGereeddatum = serializers.SerializerMethodField()
    afspraken = serializers.SerializerMethodField()
    defecten = serializers.SerializerMethodField()
    onderhoudstaken = serializers.SerializerMethodField()
    onderhoudsverzoeken = serializers.SerializerMethodField()
    overeenkomst = serializers.SerializerMethodField()
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
        return vera.referentiedata(vera.MAINTENANCE_KIND, "REP")

    @extend_schema_field(ReferentiedataSerializer)
    def get_status(self, order: RepairRequest) -> dict:
        return vera.referentiedata(vera.ORDER_STATUS, order.vera_order_status)

    @extend_schema_field(serializers.DateTimeField())
    def get_opdrachtdatum(self, order: RepairRequest) -> str | None:
        return utc(order.routed_at)

    @extend_schema_field(serializers.DateTimeField())
    def get_technischGereeddatum(self, order: RepairRequest) -> str | None:
        return utc(order.completed_at)

    @extend_schema_field(serializers.DateTimeField())
    def get_uitersteGereeddatum(self, order: RepairRequest) -> str | None:
        """The contract's norm: the latest moment the repair should be done."""
        return utc(order.complete_due_at)

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

    @extend_schema_field(SleutelsSerializer)
    def get_overeenkomst(self, order: RepairRequest) -> dict | None:
        return {"id": str(order.contract_id)} if order.contract_id else None

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
