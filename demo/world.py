"""The demo's fixed world: the associations, contractors, areas and streets, the logins the
README lists, and the knobs that shape its history. Data only: `demo.plan` turns it into
rows, `demo.build` writes them."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from portal.models import DwellingType

SEED = 2026

# One readable password for every demo login; it passes Django's password validators.
DEMO_PASSWORD = "Lekkende-Kraan-2026"  # noqa: S105 - published on purpose, demo only

# (who, e-mail address): the logins the README lists.
DEMO_LOGINS: list[tuple[str, str]] = [
    ("Beheerder (superuser, alle corporaties)", "beheer@ketenportaal.nl"),
    ("Medewerker Woonstichting De Kempen", "medewerker@dekempen.nl"),
    ("Medewerker Woonbron Maasoever", "medewerker@maasoever.nl"),
    ("Planner Van den Berg Onderhoud (Noord en Maasoever)", "planner@vandenberg.nl"),
    ("Vakman Van den Berg Onderhoud", "vakman@vandenberg.nl"),
    ("Planner Kempen Installatietechniek (Centrum)", "planner@kempeninstallatie.nl"),
    ("Vakman Kempen Installatietechniek", "vakman@kempeninstallatie.nl"),
    ("Planner Bouwbedrijf Hermans (Zuid)", "planner@bouwbedrijfhermans.nl"),
    ("Vakman Bouwbedrijf Hermans", "vakman@bouwbedrijfhermans.nl"),
    ("Huurder De Kempen (Centrum)", "huurder@example.nl"),
    ("Huurder De Kempen (Zuid)", "huurder2@example.nl"),
    ("Huurder Woonbron Maasoever", "huurder3@example.nl"),
]

# A dwelling bought recently in a town no area covers yet: its report waits as unrouted.
UNCOVERED_REFERENCE = "DK-00001"
UNCOVERED_POSTCODE_DIGITS = 5664

ORGANISATIONS: dict[str, dict[str, str]] = {
    "dekempen": {
        "name": "Woonstichting De Kempen",
        "emergency_phone": "040 211 99 11",
        "contact_phone": "040 211 90 00",
        "contact_email": "info@dekempen.nl",
        "mail_from": "noreply@dekempen.nl",
    },
    "maasoever": {
        "name": "Woonbron Maasoever",
        "emergency_phone": "073 640 77 77",
        "contact_phone": "073 640 70 00",
        "contact_email": "info@maasoever.nl",
        "mail_from": "noreply@maasoever.nl",
    },
}
REFERENCE_PREFIX = {"dekempen": "DK", "maasoever": "MO"}
CONTRACT_PREFIX = {"dekempen": "HK", "maasoever": "HM"}


@dataclass(frozen=True)
class ContractorSpec:
    key: str
    name: str
    kvk_number: str
    contact_name: str
    email: str
    phone: str
    domain: str


CONTRACTORS = [
    ContractorSpec(
        "vandenberg",
        "Van den Berg Onderhoud",
        "68421537",
        "Linda van den Berg",
        "planning@vandenberg.nl",
        "040 290 14 14",
        "vandenberg.nl",
    ),
    ContractorSpec(
        "kempen",
        "Kempen Installatietechniek",
        "71953208",
        "Sandra Hendriks",
        "planning@kempeninstallatie.nl",
        "040 236 58 80",
        "kempeninstallatie.nl",
    ),
    ContractorSpec(
        "hermans",
        "Bouwbedrijf Hermans",
        "17204691",
        "Ingrid Hermans",
        "planning@bouwbedrijfhermans.nl",
        "0499 47 32 10",
        "bouwbedrijfhermans.nl",
    ),
]

# contractor key -> ((first, last) of the planner, (first, last) of the craftsman)
CONTRACTOR_PEOPLE = {
    "vandenberg": (("Linda", "van den Berg"), ("Ruud", "Peeters")),
    "kempen": (("Sandra", "Hendriks"), ("Bram", "van Gils")),
    "hermans": (("Ingrid", "Hermans"), ("Tom", "Verhoeven")),
}


@dataclass(frozen=True)
class AreaSpec:
    organisation: str
    name: str
    ranges: tuple[tuple[int, int], ...]
    contractor: str
    fee: str
    sroi_percent: str
    type_fees: tuple[tuple[str, str], ...] = ()


CONTRACTS_FROM = datetime.date(2024, 1, 1)
AREAS = [
    AreaSpec(
        "dekempen",
        "Centrum",
        ((5611, 5617),),
        "kempen",
        "185.00",
        "3.50",
        (
            (DwellingType.GALERIJFLAT, "158.00"),
            (DwellingType.PORTIEKFLAT, "162.50"),
            (DwellingType.KAMER, "95.00"),
            (DwellingType.MAISONNETTE, "178.00"),
        ),
    ),
    AreaSpec("dekempen", "Noord", ((5621, 5629),), "vandenberg", "172.50", "5.00"),
    AreaSpec("dekempen", "Zuid", ((5641, 5658),), "hermans", "168.75", "4.00"),
    AreaSpec("maasoever", "'s-Hertogenbosch", ((5211, 5237),), "vandenberg", "179.00", "5.00"),
]
# (organisation, postcode, area): a complex at an area's edge served by the neighbouring area.
FULL_POSTCODE_RULES = [
    ("dekempen", "5617BV", "Noord"),
    ("dekempen", "5641GT", "Centrum"),
]


@dataclass(frozen=True)
class StreetSpec:
    name: str
    digits: int
    kind: str  # house, semi, upper, portiek, gallery, rooms
    count: int
    letters: str = ""  # a fixed letter pair for the whole street (for the full-postcode rules)


STREETS: dict[str, tuple[str, list[StreetSpec]]] = {
    "dekempen": (
        "Eindhoven",
        [
            # Centrum 5611-5617
            StreetSpec("Kerkstraat", 5611, "house", 22),
            StreetSpec("Nieuwstraat", 5611, "upper", 12),
            StreetSpec("Begijnenhof", 5611, "rooms", 8),
            StreetSpec("Wilhelminaplein", 5611, "house", 14),
            StreetSpec("Smalle Haven", 5611, "house", 12),
            StreetSpec("Molenstraat", 5612, "upper", 14),
            StreetSpec("Hoogstraat", 5615, "house", 26),
            StreetSpec("Bleekstraat", 5616, "portiek", 24),
            StreetSpec("Tramstraat", 5616, "portiek", 24),
            StreetSpec("Kanaaldijk", 5617, "gallery", 18, letters="BV"),
            # Noord 5621-5629
            StreetSpec("Merelstraat", 5621, "house", 30),
            StreetSpec("Lijsterstraat", 5621, "house", 28),
            StreetSpec("Spreeuwenlaan", 5622, "house", 24),
            StreetSpec("Kievitstraat", 5623, "upper", 10),
            StreetSpec("Vinkenhof", 5624, "gallery", 48),
            StreetSpec("Mezenlaan", 5625, "house", 22),
            StreetSpec("Reigerstraat", 5626, "portiek", 32),
            # Zuid 5641-5658
            StreetSpec("Tulpstraat", 5641, "house", 26),
            StreetSpec("Rozenlaan", 5641, "house", 20, letters="GT"),
            StreetSpec("Narcisstraat", 5642, "house", 24),
            StreetSpec("Anjerstraat", 5643, "upper", 12),
            StreetSpec("Rembrandtlaan", 5644, "house", 28),
            StreetSpec("Vermeerstraat", 5645, "gallery", 36),
            StreetSpec("Frans Halsstraat", 5646, "portiek", 24),
            StreetSpec("Seringenhof", 5652, "semi", 16),
        ],
    ),
    "maasoever": (
        "'s-Hertogenbosch",
        [
            StreetSpec("Orthenstraat", 5211, "upper", 8),
            StreetSpec("Muntelbolwerk", 5213, "gallery", 20),
            StreetSpec("Boschveldweg", 5215, "house", 14),
            StreetSpec("Helftheuvelweg", 5222, "house", 10),
        ],
    ),
}

POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
DWELLINGS_PER_POSTCODE = 20

# Claimed tenant accounts besides the README logins: (e-mail, first name, last name).
EXTRA_TENANTS = [
    ("j.bakker@example.nl", "Joyce", "Bakker"),
    ("h.jansen@example.nl", "Henk", "Jansen"),
    ("e.kaya@example.nl", "Esra", "Kaya"),
]


AMSTERDAM = ZoneInfo("Europe/Amsterdam")
HISTORY_UNTIL = datetime.date(2025, 12, 1)  # the last start date of a tenancy in the demo

# A report of the last NEW_FOR_DAYS days may still wait for the planner; one of up to
# PLANNED_WITHIN_DAYS days has its visit planned in the coming days; older ones are done.
NEW_FOR_DAYS = 3
PLANNED_WITHIN_DAYS = 14

# What contractors gave back to the neighbourhood: (what, neighbourhood or "" for the area).
SROI_ITEMS = [
    ("Speelplek opgeknapt: nieuwe valtegels en een schommel", ""),
    ("Leerwerkplek voor een mbo-student installatietechniek (3 maanden)", ""),
    ("Buurtklusdag met bewoners: schuttingen en tuinpaden hersteld", ""),
    ("Klusbus voor oudere huurders: kleine klussen gratis", ""),
    ("Tegeltuinen aangelegd met de buurt (Operatie Steenbreek)", ""),
    ("Energiecoach-avonden in het buurthuis", "Buurthuis"),
    ("Werkervaringsplaats voor een statushouder (6 maanden)", ""),
    ("Buurtfeest gesponsord: materialen en een springkussen", ""),
    ("Jongeren uit de wijk een week mee op de bus (snuffelstage)", ""),
    ("Moestuinbakken gebouwd bij de basisschool", "Basisschool"),
]
# Each contract's monthly contributions as a share of its year's pledge: on track with a
# project in January besides (about 117% of the pledge in all), or behind (about 36%).
SROI_MONTHLY = Decimal("0.07")
SROI_MONTHLY_BEHIND = Decimal("0.03")
SROI_PROJECT = ("Speeltuin in de wijk opgeknapt en heropend met de buurt", "", Decimal("0.40"))
SROI_BEHIND = 1  # the second contract lags behind
