"""Fill an empty database with a demo of the chain; a second run finds everything and adds nothing.

Everything is drawn from one seeded random generator, so every install gets the same
associations, dwellings, tenancies and logins. Rows are matched on their natural keys
(slug, VHE number, contract number, e-mail address, KvK number, area name), so running the
command again neither duplicates nor changes them. The repair history is only written for an
association that has no repair requests yet.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contractors.fees import contracts_fee_lines
from contractors.models import (
    Area,
    Contract,
    Contractor,
    ContractorMembership,
    ContractorRole,
    ContractTypeFee,
    PostcodeRule,
    Slot,
    SroiContribution,
    WeeklySchedule,
)
from contractors.services import daypart_defaults_ensure, slots_generate
from portal.celery import app as celery_app
from portal.models import Dwelling, DwellingType, Organisation, Tenancy, User
from portal.postcode import FORBIDDEN_LETTERS
from portal.services import staff_membership_grant
from portal.signals import dwellings_changed
from repairs.lifecycle import Status, can_transition
from repairs.models import Channel, RepairCategory, RepairEvent, RepairRequest, Responsibility
from repairs.planning import appointment_plan
from repairs.services import repair_request_submit, repair_request_transition

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


@dataclass(frozen=True)
class DwellingPlan:
    organisation: str
    reference: str
    street: str
    house_number: int
    house_number_suffix: str
    postcode: str
    city: str
    dwelling_type: str
    in_portfolio_from: datetime.date
    in_portfolio_until: datetime.date | None
    is_vacant: bool

    @property
    def is_let_today(self) -> bool:
        return not self.is_vacant and self.in_portfolio_until is None


@dataclass(frozen=True)
class TenancyPlan:
    organisation: str
    dwelling_reference: str
    contract_number: str
    start_date: datetime.date
    end_date: datetime.date | None


@dataclass(frozen=True)
class TenantPlan:
    email: str
    first_name: str
    last_name: str
    organisation: str
    contract_number: str
    claimed_at: datetime.datetime


@dataclass(frozen=True)
class RequestPlan:
    organisation: str
    dwelling_reference: str
    contract_number: str | None
    reporter_email: str | None
    category: str  # name_nl
    description: str
    days_ago: int
    outcome: str  # routed, completed, cancelled, rejected
    contact_phone: str


@dataclass(frozen=True)
class Plan:
    dwellings: list[DwellingPlan]
    tenancies: list[TenancyPlan]
    tenants: list[TenantPlan]
    requests: list[RequestPlan]


# ---------------------------------------------------------------------------------------------
# The repair catalogue: where (VERA DEFECTLOCATIE), what (DEFECTSOORT), which trade
# (ONDERHOUDSPECIALISME), the tenant's words, and who repairs it (onderhouds-ABC).


@dataclass(frozen=True)
class CategorySpec:
    room: str
    defect: str
    trade: str
    name_nl: str
    name_en: str
    responsibility: str = Responsibility.LANDLORD
    emergency: bool = False
    advice_nl: str = ""
    advice_en: str = ""


def _tenant(room, defect, trade, name_nl, name_en, advice_nl, advice_en) -> CategorySpec:
    return CategorySpec(
        room,
        defect,
        trade,
        name_nl,
        name_en,
        responsibility=Responsibility.TENANT,
        advice_nl=advice_nl,
        advice_en=advice_en,
    )


def _emergency(room, defect, trade, name_nl, name_en, advice_nl="", advice_en="") -> CategorySpec:
    return CategorySpec(
        room,
        defect,
        trade,
        name_nl,
        name_en,
        emergency=True,
        advice_nl=advice_nl,
        advice_en=advice_en,
    )


CATEGORIES: list[CategorySpec] = [
    # Emergencies: the tenant sees the emergency number, the contractor is told at once.
    _emergency(
        "KEU",
        "GAS",
        "CVI",
        "Gaslucht in of bij de woning",
        "Gas smell in or near the home",
        "Ruikt u gas? Open ramen en deuren, gebruik geen schakelaars, deurbel of open vuur en "
        "ga naar buiten. Bel direct het Nationaal Storingsnummer Gas en Stroom: 0800-9009.",
        "Do you smell gas? Open windows and doors, do not use switches, the doorbell or an open "
        "flame, and go outside. Call the national gas and power emergency number at once: "
        "0800-9009.",
    ),
    _emergency(
        "OVE",
        "LEK",
        "LOO",
        "Grote waterlekkage",
        "Major water leak",
        "Draai de hoofdkraan dicht (meestal in de meterkast) en zet bij water in de buurt van "
        "stopcontacten de stroom uit.",
        "Close the main water tap (usually in the meter cupboard) and switch off the power if "
        "water comes near sockets.",
    ),
    _emergency(
        "TRI",
        "STO",
        "CVI",
        "Geen verwarming of warm water (cv-ketel in storing)",
        "No heating or hot water (boiler failure)",
    ),
    _emergency(
        "ENT",
        "SDE",
        "TIM",
        "Slot voordeur kapot: buitengesloten of binnengesloten",
        "Front door lock broken: locked out or locked in",
    ),
    _emergency(
        "TRI",
        "STO",
        "ELE",
        "Stroomstoring in de hele woning",
        "Power failure in the whole home",
        "Kijk eerst of de buren ook geen stroom hebben; dan is het een storing in het net. Bel "
        "daarvoor het Nationaal Storingsnummer Gas en Stroom: 0800-9009.",
        "First check whether your neighbours have no power either; then the grid has failed. "
        "Call the national gas and power emergency number for that: 0800-9009.",
    ),
    _emergency("LIF", "PER", "LIF", "Personen vast in de lift", "People trapped in the lift"),
    _emergency(
        "ENT",
        "INB",
        "TIM",
        "Inbraakschade: deur of raam sluit niet meer",
        "Burglary damage: door or window no longer closes",
    ),
    # The tenant's own repairs: shown with advice instead of a report.
    _tenant(
        "WOO",
        "VWE",
        "ELE",
        "Lamp vervangen",
        "Replacing a light bulb",
        "Een lamp of tl-buis vervangt u zelf. Zet de schakelaar uit, laat de oude lamp afkoelen "
        "en neem hem mee naar de winkel, zodat u dezelfde fitting en hetzelfde vermogen koopt. "
        "Doet een nieuwe lamp het ook niet, meld dan ‘Stopcontact of schakelaar werkt niet’.",
        "You replace a light bulb or fluorescent tube yourself. Switch the light off, let the "
        "old bulb cool down and take it to the shop so you buy the same fitting and wattage. "
        "If a new bulb does not work either, report ‘Socket or switch not working’.",
    ),
    _tenant(
        "WOO",
        "TEM",
        "CVI",
        "Radiator wordt niet warm (ontluchten)",
        "Radiator does not get warm (bleeding it)",
        "Borrelt de radiator of blijft hij bovenin koud, dan zit er lucht in. Zet de "
        "thermostaat laag, draai met een radiatorsleutel het ontluchtingsnippeltje bovenaan een "
        "kwartslag open tot er water uit komt en draai het weer dicht. Kijk daarna of de "
        "waterdruk van de cv-ketel nog tussen 1,5 en 2 bar staat.",
        "If the radiator gurgles or stays cold at the top, there is air in it. Turn the "
        "thermostat down, open the bleed valve at the top a quarter turn with a radiator key "
        "until water comes out, then close it. Afterwards check that the boiler pressure is "
        "still between 1.5 and 2 bar.",
    ),
    _tenant(
        "TRI",
        "DRU",
        "CVI",
        "Waterdruk cv-ketel te laag (bijvullen)",
        "Boiler pressure too low (topping up)",
        "Staat de drukmeter van de cv-ketel onder 1 bar, vul dan zelf water bij met de vulslang "
        "tot 1,5 à 2 bar. De handleiding hangt meestal bij de ketel. Zakt de druk binnen een "
        "week weer, dan is er een lek: meld het dan bij ons.",
        "If the boiler's pressure gauge shows less than 1 bar, top it up yourself with the "
        "filling hose to 1.5 to 2 bar. The manual usually hangs next to the boiler. If the "
        "pressure drops again within a week there is a leak: report it to us then.",
    ),
    _tenant(
        "BAD",
        "VS0",
        "ONT",
        "Sifon van de wastafel verstopt",
        "Wash basin trap blocked",
        "Zet een emmer onder de sifon (de bocht onder de wastafel), draai de moeren met de hand "
        "los en maak de sifon schoon; haren en zeepresten zijn meestal de oorzaak. Draai hem "
        "goed vast en laat de kraan even lopen om te zien of er niets lekt.",
        "Put a bucket under the trap (the bend under the basin), undo the nuts by hand and "
        "clean the trap; hair and soap are usually the cause. Tighten it well and run the tap "
        "for a moment to check nothing leaks.",
    ),
    _tenant(
        "KEU",
        "VS0",
        "ONT",
        "Afvoer van het aanrecht verstopt",
        "Kitchen sink drain blocked",
        "Probeer eerst een plopper; helpt dat niet, maak dan de sifon onder de gootsteen schoon. "
        "Giet geen vet of koffiedik door de gootsteen. Komt er water omhoog in andere afvoeren, "
        "meld dan ‘Riool verstopt: water komt omhoog in afvoeren’.",
        "Try a plunger first; if that does not help, clean the trap under the sink. Do not pour "
        "fat or coffee grounds down the sink. If water comes up in other drains, report ‘Sewer "
        "blocked: water rising in drains’.",
    ),
    _tenant(
        "HAL",
        "GEL",
        "TIM",
        "Deur of scharnier piept",
        "Door or hinge squeaks",
        "Spuit wat siliconenspray of druppel naaimachineolie op de scharnierpen en beweeg de "
        "deur een paar keer open en dicht. Draai losse schroeven van het scharnier vast.",
        "Spray some silicone spray or put a drop of sewing-machine oil on the hinge pin and "
        "move the door open and shut a few times. Tighten any loose hinge screws.",
    ),
    _tenant(
        "TUI",
        "OVE",
        "HOV",
        "Tuinonderhoud: gras, heg en onkruid",
        "Garden upkeep: lawn, hedge and weeds",
        "Uw eigen tuin houdt u zelf bij: gras maaien, de heg snoeien (hooguit 1,80 meter hoog) "
        "en onkruid tussen de tegels weghalen. Groen afval kan in de groene container of naar "
        "de milieustraat. Het gemeenschappelijke groen onderhouden wij.",
        "You look after your own garden: mowing the lawn, trimming the hedge (at most 1.80 "
        "metres high) and weeding between the tiles. Garden waste goes in the green bin or to "
        "the recycling centre. We maintain the shared green spaces.",
    ),
    _tenant(
        "BAD",
        "KAL",
        "LOO",
        "Douchekop of doucheslang vervangen",
        "Replacing a shower head or hose",
        "Een verkalkte of lekkende douchekop of doucheslang vervangt u zelf; ze hebben een "
        "standaardmaat. Vergeet het rubbertje niet. Kalk verdwijnt als u de douchekop een nacht "
        "in schoonmaakazijn legt.",
        "You replace a scaled or leaking shower head or hose yourself; they come in a standard "
        "size. Do not forget the rubber washer. Scale comes off if you leave the shower head in "
        "cleaning vinegar overnight.",
    ),
    _tenant(
        "ENT",
        "SKW",
        "TIM",
        "Sleutel kwijt",
        "Lost key",
        "Bent u uw sleutel kwijt, laat dan op eigen kosten een slotenmaker komen of een sleutel "
        "bijmaken. Een extra sleutel of tag voor de centrale toegangsdeur vraagt u bij ons aan; "
        "daarvoor betaalt u een vergoeding.",
        "If you have lost your key, call a locksmith or have a key cut at your own cost. Ask us "
        "for an extra key or tag for the shared entrance door; there is a charge for it.",
    ),
]
# The association's own repairs: room defect trade | Dutch name | English name.
LANDLORD_CATEGORIES = """
KEU LEK LOO | Keukenkraan lekt | Kitchen tap leaks
KEU LOS TIM | Keukenkastje of deurtje zit los | Kitchen cupboard or door is loose
KEU BS0 TIM | Aanrechtblad beschadigd | Worktop damaged
KEU ONA WTW | Afzuiging in de keuken zuigt niet | Kitchen vent does not draw
KEU KKL ONG | Kakkerlakken | Cockroaches
BAD LEK LOO | Douche of bad lekt | Shower or bath leaks
BAD LOS TEG | Tegels zitten los of zijn gebarsten | Tiles loose or cracked
BAD SCH VOC | Schimmel in de badkamer | Mould in the bathroom
BAD DEF LOO | Mengkraan van de douche defect | Shower mixer tap broken
TOI LOO LOO | Toilet loopt door | Toilet keeps running
TOI VS0 ONT | Toilet verstopt | Toilet blocked
TOI BRE LOO | Toiletpot gebarsten | Toilet bowl cracked
TOI LEK LOO | Fonteintje of leiding in het toilet lekt | Hand basin or pipe in the toilet leaks
WOO SLU TIM | Raam sluit niet goed | Window does not close properly
WOO GLA GLA | Ruit gebroken of gebarsten | Window pane broken or cracked
WOO DEF ELE | Stopcontact of schakelaar werkt niet | Socket or switch not working
WOO VOC VOC | Vochtplek op muur of plafond | Damp patch on wall or ceiling
WOO LEK CVI | Radiator of cv-leiding lekt | Radiator or heating pipe leaks
SLA TOC TIM | Tocht langs raam of kozijn | Draught around window or frame
SLA DEF CVI | Radiatorkraan of thermostaatknop defect | Radiator valve or thermostat knob broken
HAL KLE TIM | Binnendeur klemt | Interior door sticks
HAL DEF ELE | Rookmelder piept of is defect | Smoke alarm beeps or is faulty
TRA LOS TIM | Trapleuning of traptrede zit los | Banister or stair tread is loose
ENT DEF ELE | Deurbel werkt niet | Doorbell not working
ENT KLE TIM | Voordeur klemt of sluit slecht | Front door sticks or closes badly
ENT SPR ELT | Intercom of deuropener werkt niet goed | Intercom or door opener not working properly
TRI STO ELE | Aardlekschakelaar slaat steeds af | Residual-current switch keeps tripping
TRI GEL WTW | Mechanische ventilatie maakt lawaai | Mechanical ventilation is noisy
DAK LEK DAK | Daklekkage | Roof leak
DAK VS1 DAK | Dakgoot verstopt of loopt over | Gutter blocked or overflowing
DAK STO ZON | Zonnepanelen leveren geen stroom | Solar panels produce no power
BUI VBU SCH | Verf laat los van kozijn buiten | Paint peeling off outside frame
BUI LOS LOO | Regenpijp zit los of lekt | Downpipe loose or leaking
BUI WES ONG | Wespennest in gevel of dakrand | Wasps' nest in wall or roof edge
POR VWE ELE | Verlichting in portiek of trappenhuis werkt niet | Lights in the stairwell not working
POR SDE TIM | Slot of dranger van de portiekdeur defect | Lock or closer of the communal door broken
GAL VWE ELE | Galerijverlichting werkt niet | Gallery lighting not working
LIF STA LIF | Lift staat stil | Lift out of order
OVE MUI ONG | Muizen in de woning | Mice in the home
OVE VS1 ONT | Riool verstopt: water komt omhoog in afvoeren | Sewer blocked: water rising in drains
SCH SDE TIM | Deur of slot van de schuur defect | Shed door or lock broken
BER VOC VOC | Berging vochtig of lekt | Storage room damp or leaking
BAL LOS TIM | Balkonhek of balustrade zit los | Balcony railing is loose
ZOL DEF TIM | Vlizotrap defect | Loft ladder broken
"""
CATEGORIES += [
    CategorySpec(*codes.split(), name_nl.strip(), name_en.strip())
    for codes, name_nl, name_en in (
        line.split("|") for line in LANDLORD_CATEGORIES.strip().splitlines()
    )
]

# What tenants wrote, per category (name_nl), for the demo history.
DESCRIPTIONS: dict[str, list[str]] = {
    "Keukenkraan lekt": [
        "De kraan in de keuken blijft druppelen, ook als hij helemaal dicht is.",
        "Onder de keukenkraan staat steeds een plasje water in het kastje.",
    ],
    "Toilet loopt door": ["Het toilet blijft na het doortrekken doorlopen, je hoort het steeds."],
    "Raam sluit niet goed": [
        "Het slaapkamerraam aan de achterkant gaat niet meer goed dicht, de hendel draait door."
    ],
    "Vochtplek op muur of plafond": [
        "Boven de badkamerdeur zit een vochtplek op het plafond die steeds groter wordt."
    ],
    "Schimmel in de badkamer": [
        "Zwarte schimmel in de hoeken van het badkamerplafond, ook al lucht ik elke dag."
    ],
    "Deurbel werkt niet": ["De deurbel geeft geen geluid meer als je op de knop drukt."],
    "Dakgoot verstopt of loopt over": [
        "Bij regen loopt de dakgoot aan de voorkant over en klettert het water langs de gevel."
    ],
    "Binnendeur klemt": ["De deur van de woonkamer klemt en gaat alleen met kracht dicht."],
    "Radiatorkraan of thermostaatknop defect": [
        "De knop op de radiator in de slaapkamer draait door, de radiator blijft koud."
    ],
    "Tegels zitten los of zijn gebarsten": [
        "Twee wandtegels naast de douche zijn gebarsten en zitten los."
    ],
    "Stopcontact of schakelaar werkt niet": [
        "Het stopcontact naast het aanrecht geeft geen stroom meer, de andere doen het wel."
    ],
    "Mechanische ventilatie maakt lawaai": [
        "De ventilatiebox op zolder maakt sinds een paar dagen een hard brommend geluid."
    ],
    "Tocht langs raam of kozijn": [
        "Langs het raam in de slaapkamer tocht het flink, het rubber is uitgedroogd."
    ],
    "Toilet verstopt": ["Het toilet is verstopt en met de plopper lukt het niet."],
    "Douche of bad lekt": ["Onder de douchebak komt water vandaan, de naad lijkt los te zitten."],
    "Geen verwarming of warm water (cv-ketel in storing)": [
        "De cv-ketel geeft een storing en het huis koelt af. Er is ook geen warm water."
    ],
    "Grote waterlekkage": [
        "Er loopt water door het plafond van de woonkamer, het lijkt van boven te komen."
    ],
    "Afvoer van het aanrecht verstopt": [
        "De gootsteen in de keuken loopt heel langzaam leeg en begint te stinken."
    ],
}
# Reported with their own lines in the history rather than picked at random.
SPECIAL_EXAMPLES = {
    "Geen verwarming of warm water (cv-ketel in storing)",
    "Grote waterlekkage",
    "Afvoer van het aanrecht verstopt",
}
SHOWCASE_CATEGORIES = [name for name in DESCRIPTIONS if name not in SPECIAL_EXAMPLES]

# Claimed tenant accounts besides the README logins: (e-mail, first name, last name).
EXTRA_TENANTS = [
    ("j.bakker@example.nl", "Joyce", "Bakker"),
    ("h.jansen@example.nl", "Henk", "Jansen"),
    ("e.kaya@example.nl", "Esra", "Kaya"),
]

# How a report in the history ended: (status, note on the timeline).
OUTCOMES = {
    "completed": (Status.COMPLETED, ""),
    "cancelled": (Status.CANCELLED, "Zelf opgelost, de monteur hoeft niet meer te komen."),
    "rejected": (
        Status.REJECTED,
        "Een verstopte gootsteen ontstopt de huurder zelf; het advies is uitgelegd.",
    ),
}

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


# ---------------------------------------------------------------------------------------------
# The plan: every row the demo holds, computed without the database.


def _street_dwellings(rng: random.Random, spec: StreetSpec) -> list[tuple[int, str, str]]:
    """(house number, suffix, dwelling type) of a street, in address order."""
    rows: list[tuple[int, str, str]] = []
    if spec.kind in ("house", "semi"):
        for number in range(1, spec.count + 1):
            if spec.kind == "semi":
                kind = (
                    DwellingType.VRIJSTAAND
                    if rng.random() < 0.15
                    else DwellingType.TWEE_ONDER_EEN_KAP
                )
            else:
                end_of_block = number % 6 in (0, 1) or number == spec.count
                kind = DwellingType.HOEKWONING if end_of_block else DwellingType.TUSSENWONING
            rows.append((number, "", kind))
            roll = rng.random()
            if roll < 0.02:
                rows.append((number, "bis", DwellingType.TUSSENWONING))
            elif roll < 0.06:
                rows.append((number, "A", DwellingType.TUSSENWONING))
    elif spec.kind == "upper":
        for index in range(1, spec.count + 1):
            number = index * 2
            rows.append((number, "", DwellingType.BENEDENWONING))
            rows.append((number, "A", DwellingType.BOVENWONING))
            if rng.random() < 0.2:
                rows.append((number, "B", DwellingType.MAISONNETTE))
    elif spec.kind == "portiek":
        for index in range(spec.count):
            number = 2 + (index // 4) * 2
            rows.append((number, ["", "A", "B", "C"][index % 4], DwellingType.PORTIEKFLAT))
    elif spec.kind == "gallery":
        rows.extend((number, "", DwellingType.GALERIJFLAT) for number in range(1, spec.count + 1))
    elif spec.kind == "rooms":
        rows.extend((3, chr(ord("A") + index), DwellingType.KAMER) for index in range(spec.count))
    else:  # pragma: no cover - a typo in STREETS
        raise ValueError(f"unknown street kind {spec.kind!r}")
    return rows


def _letter_pair(rng: random.Random, used: set[str], digits: int) -> str:
    while True:
        letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
        if letters not in FORBIDDEN_LETTERS and f"{digits}{letters}" not in used:
            used.add(f"{digits}{letters}")
            return letters


def _random_date(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _plan_dwellings(
    rng: random.Random, organisation: str, today: datetime.date
) -> list[DwellingPlan]:
    city, streets = STREETS[organisation]
    prefix = REFERENCE_PREFIX[organisation]
    used = {f"{spec.digits}{spec.letters}" for spec in streets if spec.letters}
    rows: list[DwellingPlan] = []

    def add(**fields) -> None:
        reference = f"{prefix}-{len(rows) + 1:05d}"
        rows.append(DwellingPlan(organisation=organisation, reference=reference, **fields))

    if organisation == "dekempen":
        # Bought in 2025 in Geldrop, where no area has rules yet.
        postcode = (
            f"{UNCOVERED_POSTCODE_DIGITS}{_letter_pair(rng, used, UNCOVERED_POSTCODE_DIGITS)}"
        )
        add(
            street="Mierloseweg",
            house_number=48,
            house_number_suffix="",
            postcode=postcode,
            city="Geldrop",
            dwelling_type=DwellingType.TUSSENWONING,
            in_portfolio_from=datetime.date(2025, 4, 1),
            in_portfolio_until=None,
            is_vacant=False,
        )

    future_until = datetime.date(today.year + 2, 6, 30)
    for spec in streets:
        built = datetime.date(rng.randint(1958, 2016), rng.randint(1, 12), 1)
        letters = spec.letters
        for position, (number, suffix, dwelling_type) in enumerate(_street_dwellings(rng, spec)):
            if not spec.letters and position % DWELLINGS_PER_POSTCODE == 0:
                letters = _letter_pair(rng, used, spec.digits)
            postcode = f"{spec.digits}{letters}"
            in_portfolio_from = built
            if rng.random() < 0.02:
                in_portfolio_from = datetime.date(2024, 7, 1)  # bought from another landlord
            roll = rng.random()
            until = None
            if roll < 0.025 and in_portfolio_from < datetime.date(2024, 1, 1):
                until = rng.choice([datetime.date(2024, 12, 31), datetime.date(2025, 6, 30)])
            elif roll < 0.045:
                until = future_until  # to be sold or demolished
            is_vacant = until is None and rng.random() < 0.04
            add(
                street=spec.name,
                house_number=number,
                house_number_suffix=suffix,
                postcode=postcode,
                city=city,
                dwelling_type=dwelling_type,
                in_portfolio_from=in_portfolio_from,
                in_portfolio_until=until,
                is_vacant=is_vacant,
            )
    return rows


def _plan_tenancies(rng: random.Random, dwellings: list[DwellingPlan]) -> list[TenancyPlan]:
    rows: list[TenancyPlan] = []

    def add(dwelling: DwellingPlan, start: datetime.date, end: datetime.date | None) -> None:
        number = f"{CONTRACT_PREFIX[dwelling.organisation]}{len(rows) + 100001:06d}"
        rows.append(TenancyPlan(dwelling.organisation, dwelling.reference, number, start, end))

    for dwelling in dwellings:
        first = dwelling.in_portfolio_from
        if dwelling.in_portfolio_until and dwelling.in_portfolio_until < HISTORY_UNTIL:
            # Sold: its last tenancy ended the day it left the portfolio.
            last = dwelling.in_portfolio_until
            add(dwelling, _random_date(rng, first, last - datetime.timedelta(days=60)), last)
        elif dwelling.is_vacant:
            ended = datetime.date(2025, 10, 31)
            if first < ended - datetime.timedelta(days=180):
                add(dwelling, _random_date(rng, first, ended - datetime.timedelta(days=180)), ended)
        else:
            start = _random_date(rng, first, HISTORY_UNTIL)
            if rng.random() < 0.2 and (start - first).days > 400:
                previous = _random_date(rng, first, start - datetime.timedelta(days=365))
                add(dwelling, previous, start - datetime.timedelta(days=1))
            add(dwelling, start, None)
    return rows


def _claimed_at(
    rng: random.Random, start: datetime.date, today: datetime.date
) -> datetime.datetime:
    portal_opened = datetime.date(2024, 3, 1)
    day = max(start, portal_opened) + datetime.timedelta(days=rng.randint(3, 40))
    day = min(day, today - datetime.timedelta(days=1))
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=AMSTERDAM
    )


def build_plan(today: datetime.date) -> Plan:
    """Every dwelling, tenancy, tenant account and report of the demo, always the same."""
    rng = random.Random(SEED)
    dwellings: list[DwellingPlan] = []
    for organisation in ORGANISATIONS:
        dwellings.extend(_plan_dwellings(rng, organisation, today))
    tenancies = _plan_tenancies(rng, dwellings)
    by_reference = {dwelling.reference: dwelling for dwelling in dwellings}
    current = {
        (tenancy.organisation, tenancy.dwelling_reference): tenancy
        for tenancy in tenancies
        if tenancy.end_date is None
    }

    def current_of(dwelling: DwellingPlan) -> TenancyPlan:
        return current[(dwelling.organisation, dwelling.reference)]

    def let(organisation: str, street: str | None = None):
        return [
            d
            for d in dwellings
            if d.organisation == organisation
            and d.is_let_today
            and (street is None or d.street == street)
            and d.reference != UNCOVERED_REFERENCE
        ]

    # The README's tenants, each in a different contractor's area (Kerkstraat lies in Centrum,
    # Vermeerstraat in Zuid, maasoever is one area); then a few more.
    tenant_homes = [
        ("huurder@example.nl", "Fatima", "El Amrani", let("dekempen", "Kerkstraat")[2]),
        ("huurder2@example.nl", "Kees", "de Wit", let("dekempen", "Vermeerstraat")[4]),
        ("huurder3@example.nl", "Annelies", "van der Heijden", let("maasoever")[3]),
    ]
    taken = {home.reference for *_, home in tenant_homes}
    extra_homes = rng.sample(
        [d for d in let("dekempen") if d.reference not in taken], len(EXTRA_TENANTS)
    )
    tenant_homes += [
        (*person, home) for person, home in zip(EXTRA_TENANTS, extra_homes, strict=True)
    ]
    tenants = [
        TenantPlan(
            email=email,
            first_name=first,
            last_name=last,
            organisation=home.organisation,
            contract_number=current_of(home).contract_number,
            claimed_at=_claimed_at(rng, current_of(home).start_date, today),
        )
        for email, first, last, home in tenant_homes
    ]
    tenant_of = {tenant.contract_number: tenant.email for tenant in tenants}

    requests: list[RequestPlan] = []
    oldest = max(min(today.timetuple().tm_yday - 1, 150), 0)  # keep this year's references true

    def report(home: DwellingPlan, category: str, days_ago: int, outcome: str = "routed") -> None:
        tenancy = current.get((home.organisation, home.reference))
        number = tenancy.contract_number if tenancy else None
        days_ago = min(days_ago, oldest)
        if outcome == "routed" and home.reference != UNCOVERED_REFERENCE:
            # A chain at work: what was reported weeks ago is done, what came in last week
            # or so has its visit planned, and only the last few days' reports are new.
            if days_ago > PLANNED_WITHIN_DAYS:
                outcome = "completed"
            elif days_ago > NEW_FOR_DAYS:
                outcome = "planned"
        requests.append(
            RequestPlan(
                organisation=home.organisation,
                dwelling_reference=home.reference,
                contract_number=number,
                reporter_email=tenant_of.get(number or ""),
                category=category,
                description=rng.choice(DESCRIPTIONS[category]),
                days_ago=days_ago,
                outcome=outcome,
                contact_phone=f"06 {rng.randint(10000000, 99999999)}",
            )
        )

    huurder, huurder2, huurder3 = (home for *_, home in tenant_homes[:3])
    report(huurder, "Toilet loopt door", 41, "completed")
    report(huurder, "Raam sluit niet goed", 3)
    report(huurder2, "Mechanische ventilatie maakt lawaai", 6)
    report(huurder3, "Deurbel werkt niet", 9)
    for home in rng.sample(let("maasoever"), 3):
        report(
            home,
            rng.choice(SHOWCASE_CATEGORIES),
            rng.randint(1, 90),
            rng.choice(["routed", "completed"]),
        )
    covered = [d for d in let("dekempen") if d.reference not in taken]
    for index, home in enumerate(rng.sample(covered, 22)):
        days_ago = rng.randint(1, 120)
        outcome = "completed" if days_ago > 20 and rng.random() < 0.7 else "routed"
        if index == 5:
            outcome = "cancelled"
        report(home, rng.choice(SHOWCASE_CATEGORIES), days_ago, outcome)
    emergency_homes = rng.sample(covered, 2)
    report(emergency_homes[0], "Geen verwarming of warm water (cv-ketel in storing)", 2)
    report(emergency_homes[1], "Grote waterlekkage", 33, "completed")
    report(rng.choice(covered), "Afvoer van het aanrecht verstopt", 12, "rejected")
    report(by_reference[UNCOVERED_REFERENCE], "Keukenkraan lekt", 1)
    return Plan(dwellings=dwellings, tenancies=tenancies, tenants=tenants, requests=requests)


# ---------------------------------------------------------------------------------------------
# Writing the plan: get-or-create on natural keys, bulk inserts for what is missing.


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo associations, areas, contractors, dwellings, "
        "tenancies, logins and repair history. Safe to run again: it adds nothing twice."
    )

    def handle(self, *args, **options) -> None:
        # Seeding runs Celery tasks in-process, so no broker needs to be running.
        was_eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        try:
            with transaction.atomic():
                created = self._seed()
        finally:
            celery_app.conf.task_always_eager = was_eager
        if apps.is_installed("surveys"):
            # A year of completed repairs with survey answers, for the KPI dashboard.
            call_command("demo_history", stdout=self.stdout)
        slots = slots_generate()
        self.stdout.write(f"Bookable slots added for the coming weeks: {slots}")
        if self._to_plan:
            celery_app.conf.task_always_eager = True
            try:
                planned = self._plan(self._to_plan)
            finally:
                celery_app.conf.task_always_eager = was_eager
            self.stdout.write(f"Visits planned by the contractors' planners: {planned}")
        self._print_summary(created)

    _to_plan: list[int]

    def _seed(self) -> dict[str, int]:
        self._to_plan = []
        today = timezone.localdate()
        plan = build_plan(today)
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        created: dict[str, int] = {}

        def count(label: str, was_created: bool) -> None:
            created[label] = created.get(label, 0) + int(was_created)

        organisations: dict[str, Organisation] = {}
        for slug, fields in ORGANISATIONS.items():
            organisations[slug], new = Organisation.objects.get_or_create(
                slug=slug, defaults=fields
            )
            count("organisations", new)

        contractors: dict[str, Contractor] = {}
        for spec in CONTRACTORS:
            contractors[spec.key], new = Contractor.objects.get_or_create(
                kvk_number=spec.kvk_number,
                defaults={
                    "name": spec.name,
                    "contact_name": spec.contact_name,
                    "email": spec.email,
                    "phone": spec.phone,
                },
            )
            count("contractors", new)

        areas: dict[tuple[str, str], Area] = {}
        for spec in AREAS:
            organisation = organisations[spec.organisation]
            area, new = Area.objects.get_or_create(organisation=organisation, name=spec.name)
            areas[(spec.organisation, spec.name)] = area
            count("areas", new)
            for start, end in spec.ranges:
                _rule, new = PostcodeRule.objects.get_or_create(
                    organisation=organisation,
                    postcode=None,
                    range_start=start,
                    range_end=end,
                    defaults={"area": area},
                )
                count("postcode rules", new)
            contract, new = Contract.objects.get_or_create(
                organisation=organisation,
                area=area,
                contractor=contractors[spec.contractor],
                valid_from=CONTRACTS_FROM,
                defaults={
                    "fee_per_dwelling_year": Decimal(spec.fee),
                    "sroi_pledge_percent": Decimal(spec.sroi_percent),
                },
            )
            count("contracts", new)
            for dwelling_type, fee in spec.type_fees:
                _fee, new = ContractTypeFee.objects.get_or_create(
                    contract=contract,
                    dwelling_type=dwelling_type,
                    defaults={"organisation": organisation, "fee_per_dwelling_year": Decimal(fee)},
                )
                count("fees per dwelling type", new)
            # Weekly capacity: Monday to Friday, a morning and an afternoon in this area.
            dayparts = {d.kind: d for d in daypart_defaults_ensure(contractor=contract.contractor)}
            for weekday in range(5):
                for kind, capacity in (("morning", 4), ("afternoon", 3)):
                    _schedule, new = WeeklySchedule.objects.get_or_create(
                        contractor=contract.contractor,
                        area=area,
                        weekday=weekday,
                        daypart=dayparts[kind],
                        defaults={"organisation": organisation, "capacity": capacity},
                    )
                    count("weekly schedules", new)
        for slug, postcode, area_name in FULL_POSTCODE_RULES:
            _rule, new = PostcodeRule.objects.get_or_create(
                organisation=organisations[slug],
                postcode=postcode,
                defaults={"area": areas[(slug, area_name)]},
            )
            count("postcode rules", new)

        categories: dict[tuple[int, str], RepairCategory] = {}
        for organisation in organisations.values():
            existing = {
                (c.room_code, c.defect_code, c.name_nl): c
                for c in RepairCategory.objects.filter(organisation=organisation)
            }
            missing = [
                RepairCategory(
                    organisation=organisation,
                    name_nl=spec.name_nl,
                    name_en=spec.name_en,
                    room_code=spec.room,
                    defect_code=spec.defect,
                    trade_code=spec.trade,
                    responsibility=spec.responsibility,
                    tenant_advice_nl=spec.advice_nl,
                    tenant_advice_en=spec.advice_en,
                    is_emergency=spec.emergency,
                )
                for spec in CATEGORIES
                if (spec.room, spec.defect, spec.name_nl) not in existing
            ]
            RepairCategory.objects.bulk_create(missing)
            created["repair categories"] = created.get("repair categories", 0) + len(missing)
            for category in RepairCategory.objects.filter(organisation=organisation):
                categories[(organisation.pk, category.name_nl)] = category

        created["dwellings"] = self._dwellings(plan, organisations)
        created["tenancies"] = self._tenancies(plan, organisations)
        created["SROI contributions"] = self._sroi(organisations, today)

        def user(email: str, first: str, last: str, **extra) -> User:
            account, new = User.objects.get_or_create(
                email=email,
                defaults={"first_name": first, "last_name": last, "password": password, **extra},
            )
            count("users", new)
            return account

        user("beheer@ketenportaal.nl", "Anouk", "Verbeek", is_staff=True, is_superuser=True)
        staff_people = {"dekempen": ("Marieke", "van Dijk"), "maasoever": ("Joost", "Smits")}
        for slug, (first, last) in staff_people.items():
            staff = user(f"medewerker@{slug}.nl", first, last, is_staff=True)
            staff_membership_grant(user=staff, organisation=organisations[slug])
        for spec in CONTRACTORS:
            planner, craftsman = CONTRACTOR_PEOPLE[spec.key]
            for role, (first, last), mailbox in (
                (ContractorRole.PLANNER, planner, "planner"),
                (ContractorRole.CRAFTSMAN, craftsman, "vakman"),
            ):
                account = user(f"{mailbox}@{spec.domain}", first, last)
                ContractorMembership.objects.get_or_create(
                    user=account, defaults={"contractor": contractors[spec.key], "role": role}
                )
        for tenant in plan.tenants:
            account = user(tenant.email, tenant.first_name, tenant.last_name)
            Tenancy.objects.filter(
                organisation=organisations[tenant.organisation],
                contract_number=tenant.contract_number,
                tenant__isnull=True,
            ).update(tenant=account, claimed_at=tenant.claimed_at)

        created["repair requests"] = self._history(plan, organisations, categories)
        return created

    def _dwellings(self, plan: Plan, organisations: dict[str, Organisation]) -> int:
        missing: list[Dwelling] = []
        for slug, organisation in organisations.items():
            existing = set(
                Dwelling.objects.filter(organisation=organisation).values_list(
                    "reference", flat=True
                )
            )
            missing += [
                Dwelling(
                    organisation=organisation,
                    reference=row.reference,
                    street=row.street,
                    house_number=row.house_number,
                    house_number_suffix=row.house_number_suffix,
                    postcode=row.postcode,
                    city=row.city,
                    dwelling_type=row.dwelling_type,
                    in_portfolio_from=row.in_portfolio_from,
                    in_portfolio_until=row.in_portfolio_until,
                    is_vacant=row.is_vacant,
                )
                for row in plan.dwellings
                if row.organisation == slug and row.reference not in existing
            ]
        Dwelling.objects.bulk_create(missing, batch_size=500)
        # A bulk insert passes the model's signals: say so, so that what other apps derive from
        # a dwelling's address (its stored area) is written in this transaction too.
        for organisation in organisations.values():
            dwellings_changed.send(
                sender=Dwelling, organisation_id=organisation.pk, dwelling_ids=None
            )
        return len(missing)

    def _tenancies(self, plan: Plan, organisations: dict[str, Organisation]) -> int:
        missing: list[Tenancy] = []
        # The address the association has on file, where a claim link goes: the demo
        # tenants' own, and for four in five other current tenancies one of example.nl (the
        # rest claim with a letter's activation code, printed in the admin).
        on_file = {tenant.contract_number: tenant.email for tenant in plan.tenants}

        def email_on_file(row: TenancyPlan) -> str:
            if row.end_date is not None:
                return ""
            if row.contract_number in on_file:
                return on_file[row.contract_number]
            if int(row.contract_number[-1]) % 5 == 0:
                return ""
            return f"huurder.{row.contract_number.lower()}@example.nl"

        for slug, organisation in organisations.items():
            dwelling_ids = dict(
                Dwelling.objects.filter(organisation=organisation).values_list("reference", "pk")
            )
            existing = set(
                Tenancy.objects.filter(organisation=organisation).values_list(
                    "contract_number", flat=True
                )
            )
            missing += [
                Tenancy(
                    organisation=organisation,
                    dwelling_id=dwelling_ids[row.dwelling_reference],
                    contract_number=row.contract_number,
                    start_date=row.start_date,
                    end_date=row.end_date,
                    email=email_on_file(row),
                )
                for row in plan.tenancies
                if row.organisation == slug and row.contract_number not in existing
            ]
        Tenancy.objects.bulk_create(missing, batch_size=500)
        return len(missing)

    def _history(
        self,
        plan: Plan,
        organisations: dict[str, Organisation],
        categories: dict[tuple[int, str], RepairCategory],
    ) -> int:
        """Reports through the real service, so routing decides; moved back to their day."""
        now = timezone.now()
        today = timezone.localdate()
        rng = random.Random(SEED + 1)
        written = 0
        # An association that already has reports keeps its history as it is.
        empty = {
            slug
            for slug, organisation in organisations.items()
            if not RepairRequest.objects.filter(organisation=organisation).exists()
        }
        timed = [
            (min(self._at(rng, today - datetime.timedelta(days=row.days_ago)), now), row)
            for row in plan.requests
            if row.organisation in empty
        ]
        # Oldest first, so reference numbers follow the order of reporting.
        for reported, row in sorted(timed, key=lambda pair: pair[0]):
            organisation = organisations[row.organisation]
            dwelling = Dwelling.objects.get(
                organisation=organisation, reference=row.dwelling_reference
            )
            tenancy = (
                Tenancy.objects.get(organisation=organisation, contract_number=row.contract_number)
                if row.contract_number
                else None
            )
            reporter = User.objects.get(email=row.reporter_email) if row.reporter_email else None
            repair_request = repair_request_submit(
                dwelling=dwelling,
                category=categories[(organisation.pk, row.category)],
                description=row.description,
                reported_by=reporter,
                tenancy=tenancy,
                channel=Channel.PORTAL if reporter else Channel.PHONE,
                contact_phone=row.contact_phone,
            )
            closed = min(
                self._at(rng, reported.date() + datetime.timedelta(days=rng.randint(2, 12))),
                now,
            )
            if row.outcome == "planned":
                self._to_plan.append(repair_request.pk)
            target, note = OUTCOMES.get(row.outcome, ("", ""))
            # The lifecycle decides; an outcome it no longer allows leaves the report routed.
            if target and can_transition(repair_request.status, target):
                update_fields: tuple[str, ...] = ()
                if target == Status.COMPLETED:
                    repair_request.completed_at = closed
                    update_fields = ("completed_at",)
                elif target == Status.CANCELLED:
                    closed = min(reported + datetime.timedelta(hours=20), now)
                    # Not repair_request_cancel: that would mail the contractor about it today.
                    repair_request.cancel_reason = note
                    update_fields = ("cancel_reason",)
                elif target == Status.REJECTED:
                    closed = min(reported + datetime.timedelta(days=1), now)
                repair_request_transition(
                    repair_request=repair_request,
                    status=target,
                    actor=reporter if target == Status.CANCELLED else None,
                    note=note,
                    update_fields=update_fields,
                )
            RepairRequest.objects.filter(pk=repair_request.pk).update(
                created_at=reported,
                routed_at=reported if repair_request.routed_at else None,
            )
            RepairEvent.objects.filter(request=repair_request).exclude(
                status__in=[Status.COMPLETED, Status.CANCELLED, Status.REJECTED]
            ).update(created_at=reported)
            RepairEvent.objects.filter(
                request=repair_request,
                status__in=[Status.COMPLETED, Status.CANCELLED, Status.REJECTED],
            ).update(created_at=closed)
            written += 1
        return written

    def _plan(self, request_ids: list[int]) -> int:
        """The contractor's planner plans each of these reports into one of the first free
        dayparts of its area from tomorrow, as the planner's queue would."""
        rng = random.Random(SEED + 2)
        today = timezone.localdate()
        planned = 0
        for repair_request in (
            RepairRequest.objects.filter(pk__in=request_ids, status=Status.ROUTED)
            .select_related("contract")
            .order_by("created_at", "pk")
        ):
            planner = (
                User.objects.filter(
                    contractor_membership__contractor_id=repair_request.contractor_id,
                    contractor_membership__role=ContractorRole.PLANNER,
                )
                .order_by("pk")
                .first()
            )
            free = list(
                Slot.objects.filter(
                    contractor_id=repair_request.contractor_id,
                    area_id=repair_request.contract.area_id,
                    date__gt=today,
                    booked__lt=F("capacity"),
                ).order_by("starts_at")[:4]
            )
            if not free:
                continue
            with transaction.atomic():
                appointment_plan(
                    repair_request=repair_request,
                    slot_id=rng.choice(free).pk,
                    actor=planner,
                    move_existing=False,
                )
            planned += 1
        return planned

    def _sroi(self, organisations: dict[str, Organisation], today: datetime.date) -> int:
        """A year of SROI contributions per current contract, one a month, sized to its
        pledge (its share of this year's fees): a contract on track funds a project in
        January and smaller things through the year; one contract lags behind. An
        association that has contributions keeps them as they are."""
        rng = random.Random(SEED + 3)
        contracts = (
            Contract.objects.valid_on(today)
            .filter(organisation__in=organisations.values())
            .exclude(organisation_id__in=SroiContribution.objects.values("organisation_id"))
            .select_related("area")
            .order_by("pk")
        )
        rows: list[SroiContribution] = []
        # The pledge as the ledger reckons it: the share of this calendar year's fees.
        year = (datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31))
        for index, line in enumerate(contracts_fee_lines(contracts, *year)):
            contract = line.contract
            pledge = line.amount * contract.sroi_pledge_percent / 100 or Decimal("500")
            behind = index == SROI_BEHIND
            month = today.replace(day=1)
            for number in range(12):
                if number:
                    month = (month - datetime.timedelta(days=1)).replace(day=1)
                last_day = today.day - 1 if number == 0 else 28
                if last_day < 1:
                    continue  # the first of the month: nothing recorded yet this month
                date = month.replace(day=rng.randint(1, last_day))
                what, place = SROI_ITEMS[(index * 5 + number) % len(SROI_ITEMS)]
                share = SROI_MONTHLY_BEHIND if behind else SROI_MONTHLY
                if not behind and date.month == 1 and date.year == today.year:
                    what, place, share = SROI_PROJECT
                value = pledge * share * Decimal(rng.randint(90, 110)) / 100
                rows.append(
                    SroiContribution(
                        organisation_id=contract.organisation_id,
                        contract=contract,
                        date=date,
                        neighbourhood=f"{place} {contract.area.name}".strip(),
                        description=what,
                        value=max(value, Decimal("25")).quantize(Decimal("0.01")),
                    )
                )
        SroiContribution.objects.bulk_create(rows)
        return len(rows)

    @staticmethod
    def _at(rng: random.Random, day: datetime.date) -> datetime.datetime:
        """A moment during the working day, Amsterdam time."""
        moment = datetime.time(rng.randint(8, 20), rng.randint(0, 59))
        return datetime.datetime.combine(day, moment, tzinfo=AMSTERDAM)

    def _print_summary(self, created: dict[str, int]) -> None:
        totals = [
            ("housing associations", Organisation.objects.count()),
            ("areas", Area.objects.count()),
            ("postcode rules", PostcodeRule.objects.count()),
            ("contractors", Contractor.objects.count()),
            ("contracts", Contract.objects.count()),
            ("dwellings", Dwelling.objects.count()),
            ("tenancies", Tenancy.objects.count()),
            ("repair categories", RepairCategory.objects.count()),
            ("repair requests", RepairRequest.objects.count()),
            ("users", User.objects.count()),
        ]
        added = sum(created.values())
        if added:
            self.stdout.write(self.style.SUCCESS(f"Demo data written ({added} rows added)."))
        else:
            self.stdout.write("Demo data was already there; nothing added.")
        for label, total in totals:
            self.stdout.write(f"  {label:<22} {total:>5}")
        self.stdout.write(f"\nLogins (password for all: {DEMO_PASSWORD}):")
        for who, email in DEMO_LOGINS:
            self.stdout.write(f"  {email:<32} {who}")
