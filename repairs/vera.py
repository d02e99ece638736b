"""VERA reference codes (Referentiedata, CC0) that the portal uses, read from its own copy."""

import csv
from functools import cache
from pathlib import Path

from contractors.models import DaypartKind

DATA_FILE = Path(__file__).resolve().parent / "data" / "vera_referentiedata.csv"

ROOM = "DEFECTLOCATIE"
DEFECT = "DEFECTSOORT"
TRADE = "ONDERHOUDSPECIALISME"
REQUEST_STATUS = "ONDERHOUDSVERZOEKSTATUS"
ORDER_STATUS = "ONDERHOUDSORDERSTATUS"
TASK_DETAIL_STATUS = "ONDERHOUDSTAAKDETAILSTATUS"
MAINTENANCE_KIND = "ONDERHOUDSOORT"
CHANNEL = "COMMUNICATIEKANAAL"
DAYPART = "DAGDEEL"
APPOINTMENT_STATUS = "AFSPRAAKSTATUS"

# The contractor's dayparts in VERA DAGDEEL (ochtend 8-12, middag 12-18, avond 18-24).
DAYPART_CODES = {
    DaypartKind.MORNING: "OCH",
    DaypartKind.AFTERNOON: "MID",
    DaypartKind.EVENING: "AVO",
}


@cache
def codes(soort: str) -> dict[str, str]:
    """Code -> Dutch name for one kind (soort) of reference data, in file order."""
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["Code"]: row["Naam"].strip()
            for row in csv.DictReader(handle, delimiter=";")
            if row["Soort"] == soort
        }


def choices(soort: str) -> list[tuple[str, str]]:
    return [(code, f"{code} – {name}") for code, name in codes(soort).items()]


# English names of the rooms, for tenants who read the portal in English.
ROOM_NAMES_EN = {
    "AIR": "Air conditioning / cooling",
    "BAD": "Bathroom / shower room",
    "BAL": "Balcony",
    "BER": "Storage room",
    "BIJ": "Utility room",
    "BUI": "Outside wall",
    "CON": "Bin store",
    "DAK": "Roof",
    "DTE": "Roof terrace",
    "ENT": "Entrance hall",
    "FIE": "Bicycle shed",
    "GAL": "Gallery",
    "GAN": "Hall cupboard / understairs cupboard",
    "GAR": "Garage / carport",
    "HAL": "Hall / corridor",
    "KEL": "Cellar",
    "KEU": "Kitchen",
    "KRU": "Crawl space",
    "LIF": "Lift",
    "OVE": "Other room",
    "OVL": "Landing",
    "PAD": "Path / fire escape",
    "PAN": "Pantry",
    "PAR": "Parking space",
    "POR": "Stairwell / porch",
    "SCH": "Shed",
    "SCO": "Mobility scooter room",
    "SLA": "Bedroom",
    "TOI": "Toilet",
    "TRA": "Stairs",
    "TRC": "Technical room (shared)",
    "TRI": "Technical room (own)",
    "TUI": "Garden",
    "VOE": "Vehicle entrance",
    "WOO": "Living room",
    "WRC": "Laundry room (shared)",
    "WRI": "Laundry room (own)",
    "ZOL": "Attic / loft",
}


def room_names() -> dict[str, str]:
    """Room names in the active language (VERA's own names are Dutch)."""
    from django.utils.translation import get_language

    if (get_language() or "nl").startswith("en"):
        return {code: ROOM_NAMES_EN.get(code, name) for code, name in codes(ROOM).items()}
    return codes(ROOM)
