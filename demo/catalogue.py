"""The repair catalogue of the demo: where (VERA DEFECTLOCATIE), what (DEFECTSOORT), which
trade (ONDERHOUDSPECIALISME), the tenant's words, and who repairs it (onderhouds-ABC); and
what tenants wrote, per category, for the demo history."""

from dataclasses import dataclass

from repairs.models import Responsibility


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
