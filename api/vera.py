"""VERA reference data as OHD writes it ({"code": ..., "naam": ...}): the kinds the portal
keeps in repairs/data, and the few only the API needs, from its own copy in api/data (both
from VERA's Referentiedata, CC0)."""

import csv
from functools import cache
from pathlib import Path

from repairs import vera as repairs_vera

DATA_FILE = Path(__file__).resolve().parent / "data" / "vera_referentiedata.csv"

MAINTENANCE_KIND = "ONDERHOUDSOORT"  # REP: a repair
EXECUTOR_KIND = "UITVOERENDESOORT"  # LEV: an outside contractor

ORDER_STATUS = repairs_vera.ORDER_STATUS
APPOINTMENT_STATUS = repairs_vera.APPOINTMENT_STATUS
DEFECT = repairs_vera.DEFECT
ROOM = repairs_vera.ROOM
TRADE = repairs_vera.TRADE
REQUEST_STATUS = repairs_vera.REQUEST_STATUS
CHANNEL = repairs_vera.CHANNEL


@cache
def _own_codes(soort: str) -> dict[str, str]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["Code"]: row["Naam"].strip()
            for row in csv.DictReader(handle, delimiter=";")
            if row["Soort"] == soort
        }


def names(soort: str) -> dict[str, str]:
    """Code -> VERA's (Dutch) name, for one kind of reference data."""
    return repairs_vera.codes(soort) or _own_codes(soort)


def referentiedata(soort: str, code: str) -> dict[str, str]:
    """One code as OHD's Referentiedata object; a code VERA does not list is a bug."""
    return {"code": code, "naam": names(soort)[code]}
