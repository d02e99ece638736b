"""VERA reference codes (Referentiedata, CC0) that the portal uses, read from its own copy."""

import csv
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "vera_referentiedata.csv"

ROOM = "DEFECTLOCATIE"
DEFECT = "DEFECTSOORT"
TRADE = "ONDERHOUDSPECIALISME"
REQUEST_STATUS = "ONDERHOUDSVERZOEKSTATUS"
ORDER_STATUS = "ONDERHOUDSORDERSTATUS"
TASK_DETAIL_STATUS = "ONDERHOUDSTAAKDETAILSTATUS"


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
