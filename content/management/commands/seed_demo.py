"""``manage.py seed_demo``: demo users, categories, products and audience messages.

Everything is generated locally (images with Pillow, data sheets with WeasyPrint) and written
through ``content.services``, so revisions, workflow states and the audit log look exactly as
if people had done the work in the admin. Running it again creates and changes nothing: users
are keyed on username, categories on slug, products on (SKU, locale) and messages on
(headline, locale).

The password of every demo user is ``demo1234``. It exists for local demos only and is printed
by ``make run``; never run this command against a database that real people log in to.
"""

# German and English typography: en dashes in ranges and typographic quotes are intended.
# ruff: noqa: RUF001

from __future__ import annotations

import io
import logging
import re
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.admin import signal_handlers as admin_notifications
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Locale, TaskState, WorkflowState
from wagtail.signals import task_submitted, workflow_approved, workflow_rejected, workflow_submitted
from wagtail.users.models import UserProfile

from campaigns.demo import AudienceSeeder, CampaignSeeder
from content.models import (
    AudienceMessage,
    Category,
    ContentModel,
    Product,
    ProductDocument,
    ProductFeature,
    ProductImage,
)
from content.services import content_approve, content_reject, content_save_draft, content_submit
from content.taxonomy import Availability, BuyingRole, JourneyPhase
from content.validators import gtin_check_digit

# Demo only: printed by `make run` and shared by every demo user.
DEMO_PASSWORD = "demo1234"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    group: str  # "" for the superuser
    role: str


DEMO_USERS = (
    DemoUser("admin", "Andrea", "Krüger", "", "Superuser: everything, including settings"),
    DemoUser(
        "editor", "Emma", "Schneider", "Editors", "Editor: writes content, submits it for review"
    ),
    DemoUser(
        "productreviewer",
        "Paul",
        "Weber",
        "Product data reviewers",
        "Product data reviewer: approves step 1 of 3",
    ),
    DemoUser(
        "legalreviewer", "Laura", "Fischer", "Legal reviewers", "Legal reviewer: approves step 2"
    ),
    DemoUser(
        "marketing",
        "Max",
        "Wagner",
        "Marketing approvers",
        "Marketing approver: approves step 3, which publishes",
    ),
    DemoUser(
        "campaigns", "Sophie", "Becker", "Campaign managers", "Campaign manager: plans campaigns"
    ),
    DemoUser(
        "integrator",
        "Jonas",
        "Hoffmann",
        "Channel integrators",
        "Channel integrator: reads products for the channels",
    ),
)

# (username, password, role) for the Makefile and README.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    (user.username, DEMO_PASSWORD, user.role) for user in DEMO_USERS
]

# The reviewers of the "Content approval" workflow, in step order (migration 0002).
REVIEWERS = ("productreviewer", "legalreviewer", "marketing")
# The "Campaign approval" workflow's steps, in order (campaigns migration 0008).
CAMPAIGN_APPROVERS = ("marketing", "legalreviewer")


def logins_table() -> str:
    """The demo logins, indented to sit under the "Admin:" line that `make run` prints."""
    lines = [f"  Demo logins (password {DEMO_PASSWORD!r} for all; demo only):"]
    lines += [f"    {username:<16} {role}" for username, _password, role in DEMO_LOGINS]
    return "\n".join(lines)


# --- Demo content --------------------------------------------------------------------------

# A value in German and English; a plain string is the same in both (decimal commas become
# points in English).
Text = str | tuple[str, str]


def _in(value: Text, language: str) -> str:
    if isinstance(value, tuple):
        return value[0] if language == "de" else value[1]
    return value if language == "de" else re.sub(r"(?<=\d),(?=\d)", ".", value)


@dataclass(frozen=True)
class Feature:
    name: Text
    unit: Text
    values: tuple[Text, ...]  # one value for every variant, or one per variant
    etim: str = ""

    def value(self, variant: int) -> Text:
        return self.values[0] if len(self.values) == 1 else self.values[variant]


@dataclass(frozen=True)
class Variant:
    label: Text
    code: str
    price: str


@dataclass(frozen=True)
class Family:
    """Three variants of one product; ``{v}`` in the texts is the variant's label."""

    name: tuple[str, str]
    short: tuple[str, str]
    long: tuple[str, str]
    brand: str
    mpn: str
    etim_class: str
    variants: tuple[Variant, Variant, Variant]
    features: tuple[Feature, ...]
    category: str = ""  # slug of a child category; blank: the top-level category


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    name_en: str
    code: str  # the middle part of the SKUs
    colour: str  # background of the generated product images
    families: tuple[Family, Family, Family, Family]
    children: tuple[tuple[str, str, str], ...] = ()  # (slug, name, name_en)


PIECES = ("Stk", "pcs")

FASTENING = CategorySpec(
    slug="befestigungstechnik",
    name="Befestigungstechnik",
    name_en="Fastening technology",
    code="BEF",
    colour="#3d6fa8",
    children=(
        ("befestigungstechnik-schrauben", "Schrauben", "Screws"),
        ("befestigungstechnik-duebel", "Dübel und Anker", "Plugs and anchors"),
    ),
    families=(
        Family(
            name=(
                "Sechskantschraube DIN 933 {v}, 8.8 verzinkt",
                "Hexagon head screw DIN 933 {v}, grade 8.8, zinc plated",
            ),
            short=(
                "Sechskantschraube mit Vollgewinde nach DIN 933 / ISO 4017, Festigkeitsklasse "
                "8.8, galvanisch verzinkt. 100 Stück im Karton.",
                "Fully threaded hexagon head screw to DIN 933 / ISO 4017, property class 8.8, "
                "electro-galvanised. 100 pieces per box.",
            ),
            long=(
                "<p>Die Standardschraube für Stahl- und Maschinenbau: Vollgewinde, "
                "Festigkeitsklasse 8.8 und galvanische Verzinkung als Korrosionsschutz für "
                "den Innenbereich.</p><h3>Eigenschaften</h3><ul><li>Vollgewinde nach DIN 933 / "
                "ISO 4017</li><li>Festigkeitsklasse <b>8.8</b>, Kopf mit Herstellerzeichen</li>"
                "<li>Galvanisch verzinkt, blau passiviert</li></ul><p><i>Für den Außenbereich "
                "empfehlen wir die Ausführung in Edelstahl A2.</i></p>",
                "<p>The standard screw for steel and mechanical engineering: full thread, "
                "property class 8.8 and electro-galvanising against corrosion indoors.</p>"
                "<h3>Features</h3><ul><li>Full thread to DIN 933 / ISO 4017</li><li>Property "
                "class <b>8.8</b>, head marked with the manufacturer's symbol</li><li>"
                "Electro-galvanised, blue passivated</li></ul><p><i>For outdoor use we "
                "recommend the A2 stainless steel version.</i></p>",
            ),
            brand="Nordstahl",
            mpn="NS-933-{code}",
            etim_class="EC000309",
            category="befestigungstechnik-schrauben",
            variants=(
                Variant("M8 x 40", "M8X40", "12.90"),
                Variant("M10 x 50", "M10X50", "19.80"),
                Variant("M12 x 60", "M12X60", "31.50"),
            ),
            features=(
                Feature(("Gewinde", "Thread"), "", ("M8", "M10", "M12"), "EF000213"),
                Feature(("Länge", "Length"), "mm", ("40", "50", "60"), "EF000008"),
                Feature(("Festigkeitsklasse", "Property class"), "", ("8.8",), "EF000231"),
                Feature(("Oberfläche", "Finish"), "", (("galvanisch verzinkt", "zinc plated"),)),
                Feature(("Packungsinhalt", "Pack size"), PIECES, ("100",)),
            ),
        ),
        Family(
            name=("Spanplattenschraube Senkkopf TX {v}", "Chipboard screw countersunk TX {v}"),
            short=(
                "Selbstbohrende Spanplattenschraube mit Senkkopf, Torx-Antrieb und Teilgewinde "
                "für Holz und Holzwerkstoffe.",
                "Self-drilling chipboard screw with countersunk head, Torx drive and partial "
                "thread for wood and wood-based panels.",
            ),
            long=(
                "<p>Bohrspitze und Schneidgewinde sorgen für schnelles Eindrehen ohne "
                "Vorbohren, die Fräsrippen unter dem Kopf für einen bündigen Abschluss.</p>"
                "<h3>Vorteile</h3><ul><li>Kein Vorbohren in Weichholz</li><li>Torx-Antrieb: "
                "kein Abrutschen des Bits</li><li>Gelb verzinkt und gewachst für geringes "
                "Eindrehmoment</li></ul>",
                "<p>The drill point and cutting thread drive in fast without pre-drilling; the "
                "ribs under the head leave a clean, flush finish.</p><h3>Benefits</h3><ul>"
                "<li>No pre-drilling in softwood</li><li>Torx drive: the bit does not slip</li>"
                "<li>Yellow zinc plated and waxed for low driving torque</li></ul>",
            ),
            brand="Nordstahl",
            mpn="NS-SPS-{code}",
            etim_class="EC000311",
            category="befestigungstechnik-schrauben",
            variants=(
                Variant("4 x 40", "4X40", "8.40"),
                Variant("5 x 60", "5X60", "12.60"),
                Variant("6 x 80", "6X80", "17.90"),
            ),
            features=(
                Feature(("Durchmesser", "Diameter"), "mm", ("4", "5", "6"), "EF000015"),
                Feature(("Länge", "Length"), "mm", ("40", "60", "80"), "EF000008"),
                Feature(("Antrieb", "Drive"), "", ("TX 20", "TX 25", "TX 30")),
                Feature(("Packungsinhalt", "Pack size"), PIECES, ("200", "200", "100")),
            ),
        ),
        Family(
            name=("Universaldübel Nylon {v}", "Universal nylon plug {v}"),
            short=(
                "Universaldübel aus Polyamid für Beton, Mauerwerk, Loch- und Plattenbaustoffe; "
                "verknotet sich in Hohlräumen.",
                "Polyamide universal plug for concrete, masonry, hollow bricks and boards; knots "
                "itself in cavities.",
            ),
            long=(
                "<p>Ein Dübel für fast alle Baustoffe: In Vollbaustoffen spreizt er, in "
                "Hohlräumen verknotet er sich. Das spart Lagerplatz und Suchzeit.</p><h3>"
                "Einsatzbereiche</h3><ul><li>Beton und Naturstein</li><li>Voll- und "
                "Lochziegel</li><li>Gipskarton- und Gipsfaserplatten</li></ul><p>Lastwerte "
                'finden Sie im <a href="https://example.com/downloads/duebel">Download-'
                "Bereich</a>.</p>",
                "<p>One plug for almost every base material: it expands in solid materials and "
                "knots itself in cavities. Less stock, less searching on site.</p><h3>"
                "Applications</h3><ul><li>Concrete and natural stone</li><li>Solid and hollow "
                "bricks</li><li>Plasterboard and gypsum fibreboard</li></ul><p>Load values are "
                'in our <a href="https://example.com/en/downloads/plugs">download area</a>.</p>',
            ),
            brand="Fixmann",
            mpn="FX-UD-{code}",
            etim_class="EC000417",
            category="befestigungstechnik-duebel",
            variants=(
                Variant("6 x 30", "6X30", "4.90"),
                Variant("8 x 40", "8X40", "7.20"),
                Variant("10 x 50", "10X50", "10.40"),
            ),
            features=(
                Feature(("Bohrdurchmesser", "Drill diameter"), "mm", ("6", "8", "10"), "EF000432"),
                Feature(("Dübellänge", "Plug length"), "mm", ("30", "40", "50"), "EF000008"),
                Feature(("Werkstoff", "Material"), "", (("Polyamid PA6", "polyamide PA6"),)),
                Feature(("Packungsinhalt", "Pack size"), PIECES, ("100",)),
            ),
        ),
        Family(
            name=("Schwerlastanker {v}, galvanisch verzinkt", "Heavy-duty anchor {v}, zinc plated"),
            short=(
                "Stahl-Schwerlastanker für gerissenen und ungerissenen Beton, mit Europäischer "
                "Technischer Bewertung (ETA, Option 1).",
                "Steel heavy-duty anchor for cracked and non-cracked concrete, with European "
                "Technical Assessment (ETA, option 1).",
            ),
            long=(
                "<p>Für sicherheitsrelevante Befestigungen von Stahlbau, Konsolen und Maschinen "
                "in Beton.</p><h3>Vorteile</h3><ul><li>Hohe Lasten bei geringen Achs- und "
                "Randabständen</li><li>Durchsteckmontage spart das Anreißen</li><li>Zugelassen "
                "für gerissenen Beton</li></ul><p><b>Wichtig:</b> Montage nur gemäß Zulassung "
                "und Bemessung.</p>",
                "<p>For safety-relevant fixings of steelwork, brackets and machines in concrete."
                "</p><h3>Benefits</h3><ul><li>High loads at small spacing and edge distances"
                "</li><li>Push-through installation saves marking out</li><li>Approved for "
                "cracked concrete</li></ul><p><b>Important:</b> install only as specified by "
                "the approval and the design.</p>",
            ),
            brand="Fixmann",
            mpn="FX-SLA-{code}",
            etim_class="",
            category="befestigungstechnik-duebel",
            variants=(
                Variant("M8", "M8", "24.50"),
                Variant("M10", "M10", "29.90"),
                Variant("M12", "M12", "38.60"),
            ),
            features=(
                Feature(("Bohrdurchmesser", "Drill diameter"), "mm", ("12", "15", "18")),
                Feature(
                    ("Empfohlene Zuglast", "Recommended tensile load"), "kN", ("4,3", "6,2", "8,9")
                ),
                Feature(("Zulassung", "Approval"), "", (("ETA, Option 1", "ETA, option 1"),)),
                Feature(("Packungsinhalt", "Pack size"), PIECES, ("20", "10", "10")),
            ),
        ),
    ),
)

POWER_TOOLS = CategorySpec(
    slug="elektrowerkzeuge",
    name="Elektrowerkzeuge",
    name_en="Power tools",
    code="ELW",
    colour="#b83b32",
    children=(("elektrowerkzeuge-akku", "Akku-Werkzeuge", "Cordless tools"),),
    families=(
        Family(
            name=("Akku-Bohrschrauber BS 18, {v}", "Cordless drill driver BS 18, {v}"),
            short=(
                "Kompakter 18-V-Bohrschrauber mit bürstenlosem Motor, 60 Nm und LED-Licht, "
                "kompatibel mit allen Hubwerk-18-V-Akkus.",
                "Compact 18 V drill driver with brushless motor, 60 Nm and LED light, "
                "compatible with every Hubwerk 18 V battery.",
            ),
            long=(
                "<p>Gebaut für den täglichen Einsatz in Montage und Ausbau: kurzer Kopf für "
                "enge Stellen, 2-Gang-Getriebe und 21 Drehmomentstufen.</p><h3>Vorteile</h3>"
                "<ul><li>Bürstenloser Motor: mehr Laufzeit pro Akkuladung</li><li>Vollmetall-"
                "Schnellspannbohrfutter 13 mm</li><li>Gürtelclip und Bit-Halter</li></ul><p><i>"
                "Akkus und Ladegerät je nach Ausführung.</i></p>",
                "<p>Built for daily use in installation and fit-out: short head for tight "
                "spots, 2-speed gearbox and 21 torque settings.</p><h3>Benefits</h3><ul><li>"
                "Brushless motor: longer run time per charge</li><li>All-metal 13 mm keyless "
                "chuck</li><li>Belt clip and bit holder</li></ul><p><i>Batteries and charger "
                "depending on the version.</i></p>",
            ),
            brand="Hubwerk",
            mpn="HW-BS18-{code}",
            etim_class="EC000121",
            category="elektrowerkzeuge-akku",
            variants=(
                Variant(("solo, ohne Akku", "solo, no battery"), "SOLO", "129.00"),
                Variant(("mit 2 Akkus 2,0 Ah", "with 2 batteries 2.0 Ah"), "2X20", "219.00"),
                Variant(("mit 2 Akkus 5,0 Ah", "with 2 batteries 5.0 Ah"), "2X50", "289.00"),
            ),
            features=(
                Feature(("Spannung", "Voltage"), "V", ("18",), "EF000146"),
                Feature(("Max. Drehmoment", "Max. torque"), "Nm", ("60",), "EF005432"),
                Feature(("Leerlaufdrehzahl", "No-load speed"), "1/min", ("0–2000",)),
                Feature(("Bohrfutter", "Chuck"), "mm", ("13",)),
                Feature(("Gewicht", "Weight"), "kg", ("1,2", "1,5", "1,8"), "EF000167"),
            ),
        ),
        Family(
            name=("Winkelschleifer WS 125, {v}", "Angle grinder WS 125, {v}"),
            short=(
                "Winkelschleifer für Scheiben mit 125 mm Durchmesser, mit Wiederanlaufschutz "
                "und werkzeuglos verstellbarer Schutzhaube.",
                "Angle grinder for 125 mm discs, with restart protection and tool-free "
                "adjustable guard.",
            ),
            long=(
                "<p>Trennen, Schruppen und Bürsten auf Metall und Stein. Die schlanke "
                "Griffform liegt auch bei längeren Arbeiten sicher in der Hand.</p><h3>"
                "Sicherheit</h3><ul><li>Wiederanlaufschutz nach Stromausfall</li><li>"
                "Sanftanlauf</li><li>Werkzeuglos verstellbare Schutzhaube</li></ul>",
                "<p>Cutting, grinding and brushing on metal and stone. The slim grip sits "
                "securely in the hand even during long jobs.</p><h3>Safety</h3><ul><li>Restart "
                "protection after a power cut</li><li>Soft start</li><li>Tool-free adjustable "
                "guard</li></ul>",
            ),
            brand="Hubwerk",
            mpn="HW-WS125-{code}",
            etim_class="EC000196",
            variants=(
                Variant("900 W", "0900", "89.00"),
                Variant("1200 W", "1200", "119.00"),
                Variant("1500 W", "1500", "149.00"),
            ),
            features=(
                Feature(("Nennaufnahme", "Rated input"), "W", ("900", "1200", "1500"), "EF000128"),
                Feature(("Scheibendurchmesser", "Disc diameter"), "mm", ("125",), "EF000171"),
                Feature(("Leerlaufdrehzahl", "No-load speed"), "1/min", ("11000",)),
                Feature(("Spindelgewinde", "Spindle thread"), "", ("M14",)),
                Feature(("Gewicht", "Weight"), "kg", ("1,9", "2,2", "2,4"), "EF000167"),
            ),
        ),
        Family(
            name=("Bohrhammer BH 26 SDS-plus, {v}", "Rotary hammer BH 26 SDS-plus, {v}"),
            short=(
                "Bohrhammer mit SDS-plus-Aufnahme zum Hammerbohren, Bohren und Meißeln in Beton "
                "und Mauerwerk.",
                "SDS-plus rotary hammer for hammer drilling, drilling and chiselling in concrete "
                "and masonry.",
            ),
            long=(
                "<p>Drei Funktionen in einem Gerät: Das pneumatische Schlagwerk bohrt "
                "Dübellöcher in Beton im Akkord, die Meißelfunktion entfernt Fliesen und Putz."
                "</p><h3>Vorteile</h3><ul><li>Vibrationsdämpfung im Handgriff</li><li>"
                "Sicherheitskupplung gegen Rückschlag</li><li>Tiefenanschlag und Zusatzgriff "
                "im Lieferumfang</li></ul>",
                "<p>Three functions in one tool: the pneumatic hammer mechanism drills anchor "
                "holes in concrete all day, the chisel function removes tiles and plaster.</p>"
                "<h3>Benefits</h3><ul><li>Vibration damping in the handle</li><li>Safety "
                "clutch against kickback</li><li>Depth stop and side handle included</li></ul>",
            ),
            brand="Hubwerk",
            mpn="HW-BH26-{code}",
            etim_class="EC000112",
            variants=(
                Variant(("2,2 J", "2.2 J"), "22", "169.00"),
                Variant(("2,7 J", "2.7 J"), "27", "219.00"),
                Variant(("3,2 J", "3.2 J"), "32", "259.00"),
            ),
            features=(
                Feature(("Schlagenergie", "Impact energy"), "J", ("2,2", "2,7", "3,2"), "EF008413"),
                Feature(("Nennaufnahme", "Rated input"), "W", ("800", "900", "1000"), "EF000128"),
                Feature(("Bohr-Ø Beton", "Drilling Ø concrete"), "mm", ("24", "26", "28")),
                Feature(("Gewicht", "Weight"), "kg", ("2,6", "2,9", "3,3"), "EF000167"),
            ),
        ),
        Family(
            name=("Akku-Stichsäge ST 18, {v}", "Cordless jigsaw ST 18, {v}"),
            short=(
                "18-V-Stichsäge mit Pendelhub und werkzeuglosem Sägeblattwechsel für gerade und "
                "geschwungene Schnitte.",
                "18 V jigsaw with pendulum action and tool-free blade change for straight and "
                "curved cuts.",
            ),
            long=(
                "<p>Ohne Kabel auf der Baustelle: sauberer Schnitt in Holz, Metall und "
                "Kunststoff, mit Blasvorrichtung für freie Sicht auf die Schnittlinie.</p><h3>"
                "Vorteile</h3><ul><li>4-stufiger Pendelhub</li><li>Sägeblattwechsel ohne "
                "Werkzeug</li><li>Neigbare Fußplatte bis 45°</li></ul>",
                "<p>No cable on site: clean cuts in wood, metal and plastic, with a blower that "
                "keeps the cutting line clear.</p><h3>Benefits</h3><ul><li>4-stage pendulum "
                "action</li><li>Tool-free blade change</li><li>Base plate tilts up to 45°</li>"
                "</ul>",
            ),
            brand="Hubwerk",
            mpn="HW-ST18-{code}",
            etim_class="",
            category="elektrowerkzeuge-akku",
            variants=(
                Variant(("solo, ohne Akku", "solo, no battery"), "SOLO", "149.00"),
                Variant(("mit Akku 4,0 Ah", "with 4.0 Ah battery"), "1X40", "219.00"),
                Variant(("im Koffer mit 2 Akkus", "in a case with 2 batteries"), "2X40", "299.00"),
            ),
            features=(
                Feature(("Spannung", "Voltage"), "V", ("18",)),
                Feature(("Hubzahl", "Stroke rate"), "1/min", ("0–3500",)),
                Feature(("Schnitttiefe Holz", "Cutting depth wood"), "mm", ("120",)),
                Feature(("Schnitttiefe Stahl", "Cutting depth steel"), "mm", ("10",)),
            ),
        ),
    ),
)

HAND_TOOLS = CategorySpec(
    slug="handwerkzeuge",
    name="Handwerkzeuge",
    name_en="Hand tools",
    code="HWZ",
    colour="#2f8a57",
    families=(
        Family(
            name=("Kombizange DIN ISO 5746, {v}", "Combination pliers DIN ISO 5746, {v}"),
            short=(
                "Kombizange aus Chrom-Vanadium-Stahl mit induktiv gehärteten Schneiden und "
                "Zwei-Komponenten-Griffen.",
                "Chrome vanadium steel combination pliers with induction-hardened cutting edges "
                "and two-component handles.",
            ),
            long=(
                "<p>Greifen, Biegen und Schneiden mit einem Werkzeug. Die Schneiden trennen "
                "weichen und harten Draht, die Greifflächen halten Flach- und Rundmaterial.</p>"
                "<h3>Eigenschaften</h3><ul><li>Schneiden induktiv gehärtet, ca. 62 HRC</li>"
                "<li>Kopf poliert</li><li>Nach DIN ISO 5746</li></ul>",
                "<p>Gripping, bending and cutting with one tool. The cutting edges cut soft and "
                "hard wire, the jaws hold flat and round stock securely.</p><h3>Features</h3>"
                "<ul><li>Induction-hardened cutting edges, approx. 62 HRC</li><li>Polished head"
                "</li><li>To DIN ISO 5746</li></ul>",
            ),
            brand="Greifwerk",
            mpn="GW-KZ-{code}",
            etim_class="EC000168",
            variants=(
                Variant("160 mm", "160", "18.90"),
                Variant("180 mm", "180", "21.50"),
                Variant("200 mm", "200", "24.90"),
            ),
            features=(
                Feature(("Länge", "Length"), "mm", ("160", "180", "200"), "EF000008"),
                Feature(
                    ("Werkstoff", "Material"), "", (("Chrom-Vanadium-Stahl", "chrome vanadium"),)
                ),
                Feature(("Schneidenhärte", "Cutting edge hardness"), "HRC", ("62",)),
                Feature(("Gewicht", "Weight"), "g", ("180", "250", "310"), "EF000167"),
            ),
        ),
        Family(
            name=("Schraubendreher-Satz, {v}", "Screwdriver set, {v}"),
            short=(
                "Schraubendreher für Schlitz- und Kreuzschlitzschrauben mit Chrom-Vanadium-"
                "Klingen und ergonomischen Mehrkomponentengriffen.",
                "Screwdrivers for slotted and Phillips screws with chrome vanadium blades and "
                "ergonomic multi-component handles.",
            ),
            long=(
                "<p>Die Grundausstattung für Werkstatt und Service. Die geschwärzten Spitzen "
                "greifen präzise, der Griff überträgt hohe Drehmomente ohne Druckstellen.</p>"
                "<h3>Inhalt</h3><ul><li>Schlitz- und Phillips-Klingen in gängigen Größen</li>"
                "<li>Wandhalter für die Werkstatt</li></ul>",
                "<p>The basic kit for workshop and service. The blackened tips grip precisely, "
                "the handle transfers high torque without pressure points.</p><h3>Contents</h3>"
                "<ul><li>Slotted and Phillips blades in common sizes</li><li>Wall rack for the "
                "workshop</li></ul>",
            ),
            brand="Greifwerk",
            mpn="GW-SDS-{code}",
            etim_class="EC000155",
            variants=(
                Variant(("6-teilig", "6 pieces"), "6", "24.90"),
                Variant(("8-teilig", "8 pieces"), "8", "32.90"),
                Variant(("12-teilig, VDE", "12 pieces, VDE"), "12VDE", "69.00"),
            ),
            features=(
                Feature(("Anzahl Teile", "Number of pieces"), PIECES, ("6", "8", "12")),
                Feature(
                    ("Klingenwerkstoff", "Blade material"),
                    "",
                    (("Chrom-Vanadium-Stahl", "chrome vanadium steel"),),
                ),
                Feature(
                    ("Isolierung", "Insulation"),
                    "",
                    (("ohne", "none"), ("ohne", "none"), "1000 V (VDE)"),
                ),
            ),
        ),
        Family(
            name=("Drehmomentschlüssel {v}", "Torque wrench {v}"),
            short=(
                "Auslösender Drehmomentschlüssel mit Umschaltknarre, Kalibrierschein und ±4 % "
                "Genauigkeit nach DIN EN ISO 6789.",
                "Click-type torque wrench with reversible ratchet, calibration certificate and "
                "±4 % accuracy to DIN EN ISO 6789.",
            ),
            long=(
                "<p>Schraubverbindungen reproduzierbar anziehen: Der Auslösemechanismus meldet "
                "das eingestellte Moment hör- und fühlbar.</p><h3>Eigenschaften</h3><ul><li>"
                "Genauigkeit ±4 % nach DIN EN ISO 6789</li><li>Rechts- und Linksanzug</li><li>"
                "Mit Kalibrierschein und Koffer</li></ul><p>Wir empfehlen eine "
                "Nachkalibrierung nach 5.000 Auslösungen oder einem Jahr.</p>",
                "<p>Tighten bolted joints reproducibly: the release mechanism signals the set "
                "torque audibly and tangibly.</p><h3>Features</h3><ul><li>±4 % accuracy to DIN "
                "EN ISO 6789</li><li>Clockwise and anticlockwise</li><li>With calibration "
                "certificate and case</li></ul><p>We recommend recalibration after 5,000 "
                "cycles or one year.</p>",
            ),
            brand="Greifwerk",
            mpn="GW-DMS-{code}",
            etim_class="EC000166",
            variants=(
                Variant('1/4", 5–25 Nm', "025", "79.00"),
                Variant('3/8", 20–100 Nm', "100", "99.00"),
                Variant('1/2", 40–200 Nm', "200", "119.00"),
            ),
            features=(
                Feature(("Vierkantantrieb", "Square drive"), "", ('1/4"', '3/8"', '1/2"')),
                Feature(("Messbereich", "Range"), "Nm", ("5–25", "20–100", "40–200"), "EF005432"),
                Feature(("Genauigkeit", "Accuracy"), "%", ("±4",)),
                Feature(("Länge", "Length"), "mm", ("290", "420", "520"), "EF000008"),
            ),
        ),
        Family(
            name=("Schlosserhammer DIN 1041, {v}", "Engineer's hammer DIN 1041, {v}"),
            short=(
                "Schlosserhammer mit geschmiedetem, gehärtetem Kopf und Eschenstiel, "
                "mit Ringkeil gesichert.",
                "Engineer's hammer with forged, hardened head and ash handle, secured with a "
                "ring wedge.",
            ),
            long=(
                "<p>Der Klassiker für Werkstatt und Montage. Bahn und Finne sind gehärtet, der "
                "Eschenstiel dämpft Schläge und lässt sich tauschen.</p><ul><li>Kopf "
                "geschmiedet und lackiert</li><li>Stiel aus Esche, geölt</li></ul>",
                "<p>The classic for workshop and assembly. Face and peen are hardened, the ash "
                "handle absorbs shocks and can be replaced.</p><ul><li>Forged, lacquered head"
                "</li><li>Oiled ash handle</li></ul>",
            ),
            brand="Greifwerk",
            mpn="GW-SH-{code}",
            etim_class="",
            variants=(
                Variant("300 g", "300", "14.90"),
                Variant("500 g", "500", "17.90"),
                Variant("800 g", "800", "21.90"),
            ),
            features=(
                Feature(("Kopfgewicht", "Head weight"), "g", ("300", "500", "800")),
                Feature(("Stiellänge", "Handle length"), "mm", ("300", "320", "350")),
                Feature(("Stielwerkstoff", "Handle material"), "", (("Esche", "ash"),)),
            ),
        ),
    ),
)

SAFETY = CategorySpec(
    slug="arbeitsschutz",
    name="Arbeitsschutz",
    name_en="Workwear & safety",
    code="ASZ",
    colour="#d9822b",
    families=(
        Family(
            name=("Montagehandschuh Nitril, Größe {v}", "Nitrile assembly glove, size {v}"),
            short=(
                "Atmungsaktiver Feinstrick-Handschuh mit Nitril-Schaumbeschichtung, griffig "
                "auch bei öligen Teilen. 12 Paar je Packung.",
                "Breathable fine-knit glove with nitrile foam coating, good grip even on oily "
                "parts. 12 pairs per pack.",
            ),
            long=(
                "<p>Für Montage, Lager und Logistik: Der nahtlose Strick sitzt wie eine zweite "
                "Haut, die Beschichtung hält Teile auch im leichten Ölfilm.</p><h3>Schutz</h3>"
                "<ul><li>EN 388: 4121X</li><li>Touchscreen-fähige Fingerkuppen</li><li>Waschbar "
                "bis 40 °C</li></ul>",
                "<p>For assembly, warehouse and logistics: the seamless knit fits like a second "
                "skin, the coating holds parts even with a light film of oil.</p><h3>Protection"
                "</h3><ul><li>EN 388: 4121X</li><li>Touchscreen-compatible fingertips</li><li>"
                "Washable at 40 °C</li></ul>",
            ),
            brand="Sicherwerk",
            mpn="SW-MH-{code}",
            etim_class="EC000431",
            variants=(
                Variant("8", "08", "29.90"),
                Variant("9", "09", "29.90"),
                Variant("10", "10", "29.90"),
            ),
            features=(
                Feature(("Größe", "Size"), "", ("8", "9", "10"), "EF000365"),
                Feature(("Norm", "Standard"), "", ("EN 388 (4121X)",)),
                Feature(("Beschichtung", "Coating"), "", (("Nitril-Schaum", "nitrile foam"),)),
                Feature(("Packungsinhalt", "Pack size"), ("Paar", "pairs"), ("12",)),
            ),
        ),
        Family(
            name=("Sicherheitshalbschuh S3 SRC, Größe {v}", "Safety shoe S3 SRC, size {v}"),
            short=(
                "Leichter Sicherheitshalbschuh S3 mit Aluminiumkappe, durchtrittsicherer "
                "Textilzwischensohle und rutschhemmender Sohle.",
                "Lightweight S3 safety shoe with aluminium toe cap, puncture-resistant textile "
                "midsole and slip-resistant sole.",
            ),
            long=(
                "<p>Gebaut für lange Tage auf Baustelle und Hallenboden: metallfrei bis auf die "
                "Kappe, dadurch leicht.</p><h3>Eigenschaften</h3><ul><li>Schutzklasse S3 SRC "
                "nach EN ISO 20345</li><li>Weite 11 für breite Füße</li><li>ESD-fähig</li></ul>",
                "<p>Built for long days on site and on the shop floor: metal-free apart from "
                "the toe cap, and therefore light.</p><h3>Features</h3><ul><li>Protection class "
                "S3 SRC to EN ISO 20345</li><li>Width 11 for wide feet</li><li>ESD-compatible"
                "</li></ul>",
            ),
            brand="Sicherwerk",
            mpn="SW-S3-{code}",
            etim_class="EC000593",
            variants=(
                Variant("41", "41", "89.00"),
                Variant("43", "43", "89.00"),
                Variant("45", "45", "89.00"),
            ),
            features=(
                Feature(("Schuhgröße", "Shoe size"), "", ("41", "43", "45"), "EF000365"),
                Feature(("Schutzklasse", "Protection class"), "", ("S3 SRC",)),
                Feature(("Zehenschutzkappe", "Toe cap"), "", (("Aluminium", "aluminium"),)),
                Feature(("Norm", "Standard"), "", ("EN ISO 20345",)),
                Feature(("Gewicht", "Weight"), "g", ("540", "580", "620"), "EF000167"),
            ),
        ),
        Family(
            name=("Schutzbrille, {v}", "Safety glasses, {v}"),
            short=(
                "Bügelschutzbrille aus Polycarbonat mit beschlagfreier und kratzfester "
                "Beschichtung, UV-Schutz 400.",
                "Polycarbonate safety spectacles with anti-fog and scratch-resistant coating, "
                "UV 400 protection.",
            ),
            long=(
                "<p>Leicht, rutschfest und mit weichen Bügelenden, damit die Brille auch nach "
                "Stunden noch getragen wird.</p><ul><li>Norm EN 166, Kennzeichnung 1 F</li>"
                "<li>Innen beschlagfrei, außen kratzfest</li></ul>",
                "<p>Light, non-slip and with soft temple tips, so the glasses are still worn "
                "after hours.</p><ul><li>Standard EN 166, marking 1 F</li><li>Anti-fog inside, "
                "scratch-resistant outside</li></ul>",
            ),
            brand="Sicherwerk",
            mpn="SW-SB-{code}",
            etim_class="EC000584",
            variants=(
                Variant(("klar", "clear"), "CL", "7.90"),
                Variant(("getönt", "tinted"), "TI", "8.90"),
                Variant(("Überbrille", "over-glasses"), "OTG", "11.90"),
            ),
            features=(
                Feature(("Norm", "Standard"), "", ("EN 166",)),
                Feature(
                    ("Scheibe", "Lens"),
                    "",
                    (("klar", "clear"), ("grau getönt", "grey tinted"), ("klar", "clear")),
                ),
                Feature(
                    ("Beschichtung", "Coating"),
                    "",
                    (("beschlagfrei, kratzfest", "anti-fog, scratch-resistant"),),
                ),
                Feature(("Gewicht", "Weight"), "g", ("26", "26", "44"), "EF000167"),
            ),
        ),
        Family(
            name=("Kapselgehörschutz, SNR {v}", "Ear defenders, SNR {v}"),
            short=(
                "Kapselgehörschutz mit gepolstertem Kopfbügel und weichen Dichtkissen für laute "
                "Arbeitsumgebungen.",
                "Ear defenders with padded headband and soft ear cushions for noisy workplaces.",
            ),
            long=(
                "<p>Wählen Sie die Dämmung passend zum Lärmpegel: Zu viel Dämmung isoliert, "
                "und der Gehörschutz wird abgesetzt.</p><ul><li>Norm EN 352-1</li><li>"
                "Dichtkissen austauschbar</li></ul>",
                "<p>Match the attenuation to the noise level: too much isolates the wearer, "
                "and the ear defenders come off.</p><ul><li>Standard EN 352-1</li><li>"
                "Replaceable ear cushions</li></ul>",
            ),
            brand="Sicherwerk",
            mpn="SW-KG-{code}",
            etim_class="",
            variants=(
                Variant("27 dB", "27", "19.90"),
                Variant("31 dB", "31", "24.90"),
                Variant("35 dB", "35", "32.90"),
            ),
            features=(
                Feature(("Dämmwert SNR", "SNR"), "dB", ("27", "31", "35")),
                Feature(("Gewicht", "Weight"), "g", ("180", "230", "290")),
                Feature(("Norm", "Standard"), "", ("EN 352-1",)),
            ),
        ),
    ),
)

HYDRAULICS = CategorySpec(
    slug="hydraulik",
    name="Hydraulik",
    name_en="Hydraulics",
    code="HYD",
    colour="#6d4c9f",
    families=(
        Family(
            name=("Hydraulikschlauch 2SN, {v}", "Hydraulic hose 2SN, {v}"),
            short=(
                "Hydraulikschlauch nach EN 853 2SN mit zwei Stahldrahtgeflechten, Meterware für "
                "die Konfektion.",
                "Hydraulic hose to EN 853 2SN with two steel wire braids, sold by the metre for "
                "assembly.",
            ),
            long=(
                "<p>Für Hydrauliköle auf Mineralölbasis in Baumaschinen, Landtechnik und "
                "Industriehydraulik.</p><h3>Aufbau</h3><ul><li>Seele: ölbeständiger "
                "synthetischer Kautschuk</li><li>Einlage: zwei Stahldrahtgeflechte</li><li>"
                "Decke: abrieb- und ozonbeständig</li></ul><p>Schlauchleitungen nach Maß "
                'liefert unser <a href="https://example.com/service/schlauchservice">'
                "Schlauchservice</a>.</p>",
                "<p>For mineral-oil-based hydraulic fluids in construction machinery, "
                "agricultural and industrial hydraulics.</p><h3>Construction</h3><ul><li>Tube: "
                "oil-resistant synthetic rubber</li><li>Reinforcement: two steel wire braids"
                "</li><li>Cover: abrasion and ozone resistant</li></ul><p>Made-to-measure hose "
                'assemblies come from our <a href="https://example.com/en/service/hoses">hose '
                "service</a>.</p>",
            ),
            brand="Hydrakon",
            mpn="HK-2SN-{code}",
            etim_class="EC011082",
            variants=(
                Variant("DN 6", "06", "6.90"),
                Variant("DN 10", "10", "9.40"),
                Variant("DN 16", "16", "14.80"),
            ),
            features=(
                Feature(("Nennweite", "Nominal size"), "", ("DN 6", "DN 10", "DN 16"), "EF000049"),
                Feature(
                    ("Betriebsdruck", "Working pressure"), "bar", ("400", "330", "250"), "EF001126"
                ),
                Feature(("Mindestbiegeradius", "Min. bend radius"), "mm", ("100", "130", "200")),
                Feature(
                    ("Temperaturbereich", "Temperature range"),
                    "°C",
                    (("-40 bis +100", "-40 to +100"),),
                ),
                Feature(("Verkaufseinheit", "Sales unit"), "", (("Meter", "metre"),)),
            ),
        ),
        Family(
            name=("Hochdruck-Kugelhahn 2-Wege, {v}", "High-pressure ball valve, 2-way, {v}"),
            short=(
                "2-Wege-Hochdruckkugelhahn aus verzinktem Stahl mit Innengewinde, für "
                "Hydrauliköle bis 500 bar.",
                "2-way high-pressure ball valve in zinc-plated steel with female thread, for "
                "hydraulic oils up to 500 bar.",
            ),
            long=(
                "<p>Absperren von Hydraulikkreisen bei Wartung und Umrüstung. Die Kugel ist "
                "hartverchromt, die POM-Dichtungen halten auch Druckspitzen.</p><ul><li>"
                "Betätigung mit abnehmbarem Hebel</li><li>Montagebohrungen im Gehäuse</li></ul>",
                "<p>Shuts off hydraulic circuits for maintenance and changeovers. The ball is "
                "hard chrome plated, the POM seals withstand pressure peaks.</p><ul><li>"
                "Removable lever</li><li>Mounting holes in the body</li></ul>",
            ),
            brand="Hydrakon",
            mpn="HK-KH2-{code}",
            etim_class="EC011093",
            variants=(
                Variant("G 1/4", "G14", "39.00"),
                Variant("G 1/2", "G12", "54.00"),
                Variant("G 1", "G1", "98.00"),
            ),
            features=(
                Feature(("Anschluss", "Connection"), "", ("G 1/4", "G 1/2", "G 1")),
                Feature(("Nenndruck", "Nominal pressure"), "bar", ("500", "400", "350")),
                Feature(
                    ("Gehäusewerkstoff", "Body material"),
                    "",
                    (("Stahl, verzinkt", "steel, zinc plated"),),
                ),
                Feature(("Dichtung", "Seal"), "", ("POM",)),
            ),
        ),
        Family(
            name=("Zahnradpumpe Baugruppe 1, {v}", "Gear pump group 1, {v}"),
            short=(
                "Außenzahnradpumpe der Baugruppe 1 für mobile und stationäre Hydraulik, "
                "rechtsdrehend.",
                "Group 1 external gear pump for mobile and stationary hydraulics, clockwise.",
            ),
            long=(
                "<p>Kompakte Pumpe für Hebebühnen, Aggregate und Anbaugeräte. Lagerbuchsen mit "
                "Druckausgleich sorgen für hohen volumetrischen Wirkungsgrad.</p><ul><li>"
                "Gehäuse aus Aluminium</li><li>Flansch und Welle nach europäischem Standard"
                "</li></ul>",
                "<p>Compact pump for lifting platforms, power units and attachments. "
                "Pressure-balanced bushings give high volumetric efficiency.</p><ul><li>"
                "Aluminium body</li><li>Flange and shaft to the European standard</li></ul>",
            ),
            brand="Hydrakon",
            mpn="HK-ZP1-{code}",
            etim_class="EC011210",
            variants=(
                Variant(("4 cm³/U", "4 cm³/rev"), "040", "129.00"),
                Variant(("8 cm³/U", "8 cm³/rev"), "080", "139.00"),
                Variant(("11 cm³/U", "11 cm³/rev"), "110", "149.00"),
            ),
            features=(
                Feature(("Fördervolumen", "Displacement"), ("cm³/U", "cm³/rev"), ("4", "8", "11")),
                Feature(("Max. Betriebsdruck", "Max. pressure"), "bar", ("250", "250", "230")),
                Feature(("Drehrichtung", "Rotation"), "", (("rechts", "clockwise"),)),
                Feature(("Drehzahlbereich", "Speed range"), "1/min", ("800–3500",)),
            ),
        ),
        Family(
            name=(
                "Hydraulikzylinder doppeltwirkend 40/25, Hub {v}",
                "Double-acting hydraulic cylinder 40/25, stroke {v}",
            ),
            short=(
                "Doppeltwirkender Zylinder mit Kolben-Ø 40 mm und Stangen-Ø 25 mm, Gelenkaugen "
                "an beiden Enden.",
                "Double-acting cylinder with 40 mm piston and 25 mm rod, clevis eyes at both ends.",
            ),
            long=(
                "<p>Der Standardzylinder für Anbaugeräte und Vorrichtungen: geschweißte "
                "Bauweise, Kolbenstange hartverchromt.</p><ul><li>Betriebsdruck bis 200 bar"
                "</li><li>Anschlüsse G 1/4</li></ul>",
                "<p>The standard cylinder for attachments and fixtures: welded design, hard "
                "chrome plated rod.</p><ul><li>Working pressure up to 200 bar</li><li>G 1/4 "
                "ports</li></ul>",
            ),
            brand="Hydrakon",
            mpn="HK-ZYL-{code}",
            etim_class="",
            variants=(
                Variant("200 mm", "200", "189.00"),
                Variant("300 mm", "300", "209.00"),
                Variant("500 mm", "500", "249.00"),
            ),
            features=(
                Feature(("Kolben-Ø", "Piston Ø"), "mm", ("40",)),
                Feature(("Stangen-Ø", "Rod Ø"), "mm", ("25",)),
                Feature(("Hub", "Stroke"), "mm", ("200", "300", "500")),
                Feature(("Betriebsdruck", "Working pressure"), "bar", ("200",)),
            ),
        ),
    ),
)

CATEGORIES = (FASTENING, POWER_TOOLS, HAND_TOOLS, SAFETY, HYDRAULICS)


@dataclass(frozen=True)
class Plan:
    """Where an item ends up: how far it got through the three review steps."""

    submit: bool = True
    approvals: int = 3  # steps approved; 3 publishes
    reject_comment: str = ""  # the step after the approved ones requests changes
    edit_after_publishing: bool = False  # a newer draft on top of the live version


DRAFT = Plan(submit=False, approvals=0)
LIVE = Plan()


def waiting_at(step: int) -> Plan:
    return Plan(approvals=step)


# The fate of a product by its position (0-11) within its category; the rest go live. The
# review positions rotate by category so that every step has items waiting.
REVIEW_POSITIONS = (2, 5)
DRAFT_POSITION = 8
SPECIAL_POSITION = 11
PRODUCT_DATA_REJECTION = (
    "Bohrdurchmesser und Packungsinhalt weichen vom Herstellerdatenblatt ab. Bitte prüfen "
    "und die Quelle im Kommentar nennen."
)
LEGAL_REJECTION = (
    "„Praktisch unzerstörbar“ können wir nicht belegen (UWG § 5). Bitte streichen oder "
    "einen Prüfbericht verlinken."
)
# The claim the legal reviewer objects to.
LEGAL_CLAIM = "<p><b>Praktisch unzerstörbar</b> – selbst im härtesten Baustelleneinsatz.</p>"
SPECIAL_PLANS = (
    Plan(approvals=0, reject_comment=PRODUCT_DATA_REJECTION),
    Plan(edit_after_publishing=True),
    Plan(approvals=1, reject_comment=LEGAL_REJECTION),
    Plan(edit_after_publishing=True),
    DRAFT,
)
LATER_EDIT = " Jetzt mit 5 Jahren Herstellergarantie bei Registrierung."


def product_plan(*, category: int, position: int) -> Plan:
    if position in REVIEW_POSITIONS:
        return waiting_at((category + REVIEW_POSITIONS.index(position)) % 3)
    if position == DRAFT_POSITION:
        return DRAFT
    if position == SPECIAL_POSITION:
        return SPECIAL_PLANS[category % len(SPECIAL_PLANS)]
    return LIVE


def english_plan(*, category: int, position: int) -> Plan | None:
    """None: not translated yet. Translations of items still in review wait as drafts."""
    if position in (DRAFT_POSITION, SPECIAL_POSITION):
        return None
    if position in REVIEW_POSITIONS:
        return DRAFT
    if position == 10:
        return waiting_at(category % 3)
    return LIVE


# Completeness varies on purpose, so each channel's "incomplete" filter finds something.
NO_GTIN_POSITIONS = (4, 10)
NO_IMAGE_POSITIONS = (7,)
NO_DATA_SHEET_POSITIONS = (3, 7, 11)
AVAILABILITY = {
    1: (Availability.LOW_STOCK, 5),
    6: (Availability.OUT_OF_STOCK, 21),
    9: (Availability.ON_REQUEST, 28),  # priced per quote: no list price
}


def gtin_for(number: int) -> str:
    # GS1 prefix 20-29 is "restricted circulation": it never belongs to a real product.
    body = f"2099000{number:05d}"
    return body + str(gtin_check_digit(body))


@dataclass(frozen=True)
class Message:
    headline: tuple[str, str]
    body: tuple[str, str]
    cta: tuple[str, str]
    cta_url: tuple[str, str]
    role: str = ""
    phase: str = ""
    sku: str = ""
    plan: Plan = LIVE
    english: Plan | None = LIVE


MESSAGES = (
    # Defaults for every role, one per journey phase.
    Message(
        headline=(
            "Alles für Baustelle und Werkstatt aus einer Hand",
            "Everything for site and workshop from one supplier",
        ),
        body=(
            "<p>Über 12.000 Artikel für Befestigung, Werkzeug, Arbeitsschutz und Hydraulik, "
            "geprüft und sofort lieferbar.</p>",
            "<p>More than 12,000 items for fastening, tools, safety and hydraulics, tested "
            "and ready to ship.</p>",
        ),
        cta=("Sortiment entdecken", "Explore the range"),
        cta_url=("https://example.com/sortiment", "https://example.com/en/range"),
        phase=JourneyPhase.AWARENESS,
    ),
    Message(
        headline=(
            "Technische Daten und Datenblätter zum Download",
            "Technical data and data sheets to download",
        ),
        body=(
            "<p>Vergleichen Sie Produkte anhand von ETIM-Merkmalen und laden Sie Datenblätter "
            "und CAD-Daten direkt herunter.</p>",
            "<p>Compare products by their ETIM features and download data sheets and CAD "
            "files directly.</p>",
        ),
        cta=("Datenblätter ansehen", "View data sheets"),
        cta_url=("https://example.com/downloads", "https://example.com/en/downloads"),
        phase=JourneyPhase.CONSIDERATION,
    ),
    Message(
        headline=(
            "Bis 16 Uhr bestellt, am nächsten Werktag geliefert",
            "Order by 4 pm, delivered the next working day",
        ),
        body=(
            "<p>Alle Lagerartikel versenden wir am Tag der Bestellung, ab 150 € netto "
            "versandkostenfrei.</p>",
            "<p>We ship every stock item on the day you order, free of charge from EUR 150 "
            "net.</p>",
        ),
        cta=("Zum Webshop", "Go to the web shop"),
        cta_url=("https://example.com/shop", "https://example.com/en/shop"),
        phase=JourneyPhase.TRANSACTION,
    ),
    Message(
        headline=("Service-Hotline und Reparaturservice", "Service hotline and repair service"),
        body=(
            "<p>Unsere Anwendungstechniker helfen werktags von 7 bis 18 Uhr. Reparaturen "
            "erledigen wir in der Regel innerhalb von fünf Werktagen.</p>",
            "<p>Our application engineers help on working days from 7 am to 6 pm. Repairs "
            "usually take no more than five working days.</p>",
        ),
        cta=("Service kontaktieren", "Contact service"),
        cta_url=("https://example.com/service", "https://example.com/en/service"),
        phase=JourneyPhase.EXPERIENCE,
    ),
    Message(
        headline=(
            "Rahmenvertrag: feste Preise für zwölf Monate",
            "Framework agreement: fixed prices for twelve months",
        ),
        body=(
            "<p>Planen Sie Ihren Bedarf für ein Jahr: Wir sichern Preise und Verfügbarkeit zu "
            "und liefern auf Abruf.</p>",
            "<p>Plan your needs for a year: we guarantee prices and availability and deliver "
            "on call-off.</p>",
        ),
        cta=("Rahmenvertrag anfragen", "Request a framework agreement"),
        cta_url=("https://example.com/rahmenvertrag", "https://example.com/en/framework"),
        phase=JourneyPhase.LOYALTY,
    ),
    # Defaults for one role.
    Message(
        headline=(
            "Werkzeug, das den Arbeitstag leichter macht",
            "Tools that make the working day easier",
        ),
        body=(
            "<p>Weniger Gewicht, weniger Vibration, mehr Laufzeit: Unsere Geräte werden mit "
            "Monteuren entwickelt und auf Baustellen getestet.</p>",
            "<p>Less weight, less vibration, longer run time: our tools are developed with "
            "fitters and tested on real sites.</p>",
        ),
        cta=("Ergonomie im Test", "Ergonomics tested"),
        cta_url=("https://example.com/ergonomie", "https://example.com/en/ergonomics"),
        role=BuyingRole.USER,
        phase=JourneyPhase.CONSIDERATION,
    ),
    Message(
        headline=("Weniger Ausfallzeit, planbare Kosten", "Less downtime, predictable costs"),
        body=(
            "<p>Mit unserem Werkzeugmanagement kennen Sie jederzeit Bestand, Prüftermine und "
            "Gesamtkosten je Baustelle.</p>",
            "<p>With our tool management you always know stock, inspection dates and total "
            "cost per site.</p>",
        ),
        cta=("Beispielrechnung ansehen", "See a sample calculation"),
        cta_url=("https://example.com/tco", "https://example.com/en/tco"),
        role=BuyingRole.DECISION_MAKER,
        phase=JourneyPhase.CONSIDERATION,
    ),
    Message(
        headline=(
            "Staffelpreise und Bestellung per OCI oder EDI",
            "Volume pricing and ordering via OCI or EDI",
        ),
        body=(
            "<p>Ab zehn Stück gelten Staffelpreise. Bestellen Sie direkt aus Ihrem ERP-System, "
            "ohne Medienbruch.</p>",
            "<p>Volume prices apply from ten units. Order straight from your ERP system, "
            "without re-keying.</p>",
        ),
        cta=("Anbindung besprechen", "Discuss integration"),
        cta_url=("https://example.com/e-procurement", "https://example.com/en/e-procurement"),
        role=BuyingRole.BUYER,
        phase=JourneyPhase.TRANSACTION,
    ),
    Message(
        headline=("Normgerecht planen mit geprüften Daten", "Plan to standard with verified data"),
        body=(
            "<p>ETIM-klassifizierte Produktdaten und BIM-Objekte für Planer und "
            "Ingenieurbüros, kostenlos und aktuell.</p>",
            "<p>ETIM-classified product data and BIM objects for planners and engineering "
            "offices, free and up to date.</p>",
        ),
        cta=("Planungsdaten laden", "Get planning data"),
        cta_url=("https://example.com/planer", "https://example.com/en/planners"),
        role=BuyingRole.INFLUENCER,
        phase=JourneyPhase.AWARENESS,
    ),
    Message(
        headline=(
            "Sicher beschaffen: zertifizierte Qualität",
            "Procure with confidence: certified quality",
        ),
        body=(
            "<p>ISO 9001 zertifiziert, CE-konforme Produkte und transparente Konditionen: "
            "alle Nachweise finden Sie im Lieferantenportal.</p>",
            "<p>ISO 9001 certified, CE-compliant products and transparent terms: all "
            "certificates are in the supplier portal.</p>",
        ),
        cta=("Nachweise ansehen", "View certificates"),
        cta_url=("https://example.com/zertifikate", "https://example.com/en/certificates"),
        role=BuyingRole.APPROVER,
        phase=JourneyPhase.TRANSACTION,
    ),
    Message(
        headline=("Kostenlose Produktschulung vor Ort", "Free on-site product training"),
        body=(
            "<p>Unsere Anwendungstechniker zeigen Ihrem Team, wie es Geräte sicher und "
            "effizient einsetzt.</p>",
            "<p>Our application engineers show your team how to use the tools safely and "
            "efficiently.</p>",
        ),
        cta=("Schulung buchen", "Book training"),
        cta_url=("https://example.com/schulung", "https://example.com/en/training"),
        role=BuyingRole.USER,
        phase=JourneyPhase.EXPERIENCE,
    ),
    Message(
        headline=(
            "Ihr Ansprechpartner und ein Quartalsbericht",
            "Your account manager and a quarterly report",
        ),
        body=(
            "<p>Ein fester Ansprechpartner und ein Bericht über Bedarf, Einsparungen und "
            "Lieferqualität in jedem Quartal.</p>",
            "<p>One dedicated contact and a report on demand, savings and delivery quality "
            "every quarter.</p>",
        ),
        cta=("Termin vereinbaren", "Arrange a meeting"),
        cta_url=("https://example.com/kam", "https://example.com/en/account-management"),
        role=BuyingRole.DECISION_MAKER,
        phase=JourneyPhase.LOYALTY,
    ),
    # About one product.
    Message(
        headline=("Ein Akku für alle 18-V-Geräte", "One battery for every 18 V tool"),
        body=(
            "<p>Der BS 18 nutzt dieselben Akkus wie über 40 weitere Hubwerk-Geräte. Einmal "
            "kaufen, überall einsetzen.</p>",
            "<p>The BS 18 runs on the same batteries as more than 40 other Hubwerk tools. "
            "Buy once, use everywhere.</p>",
        ),
        cta=("Akku-System ansehen", "See the battery system"),
        cta_url=("https://example.com/akku-system", "https://example.com/en/battery-system"),
        role=BuyingRole.USER,
        phase=JourneyPhase.CONSIDERATION,
        sku="HW-ELW-0001",
    ),
    Message(
        headline=("Im Fünferpack günstiger", "Better value in packs of five"),
        body=(
            "<p>Den WS 125 gibt es für Werkstätten auch im Fünferpack, mit 12 % "
            "Preisvorteil gegenüber dem Einzelkauf.</p>",
            "<p>Workshops can order the WS 125 in packs of five, 12 % cheaper than buying "
            "single units.</p>",
        ),
        cta=("Angebot anfordern", "Request a quote"),
        cta_url=("https://example.com/angebot/ws125", "https://example.com/en/quote/ws125"),
        role=BuyingRole.BUYER,
        phase=JourneyPhase.TRANSACTION,
        sku="HW-ELW-0005",
    ),
    Message(
        headline=("Zertifiziert nach EN ISO 20345", "Certified to EN ISO 20345"),
        body=(
            "<p>Baumusterprüfung, Konformitätserklärung und Prüfberichte für den "
            "Sicherheitsschuh S3 stehen zum Download bereit.</p>",
            "<p>Type examination, declaration of conformity and test reports for the S3 "
            "safety shoe are ready to download.</p>",
        ),
        cta=("Zertifikate laden", "Download certificates"),
        cta_url=("https://example.com/zertifikate/s3", "https://example.com/en/certificates/s3"),
        role=BuyingRole.APPROVER,
        phase=JourneyPhase.CONSIDERATION,
        sku="HW-ASZ-0004",
    ),
    Message(
        headline=(
            "Schlauchleitungen nach Maß in 24 Stunden",
            "Made-to-measure hose assemblies in 24 hours",
        ),
        body=(
            "<p>Schicken Sie uns Länge und Armaturen: Wir konfektionieren, prüfen und "
            "liefern am nächsten Tag.</p>",
            "<p>Send us the length and fittings: we assemble, pressure-test and deliver the "
            "next day.</p>",
        ),
        cta=("Schlauch konfigurieren", "Configure a hose"),
        cta_url=("https://example.com/schlauchservice", "https://example.com/en/hose-service"),
        role=BuyingRole.DECISION_MAKER,
        phase=JourneyPhase.AWARENESS,
        sku="HW-HYD-0002",
    ),
    Message(
        headline=("Kanban-Nachschub für C-Teile", "Kanban replenishment for C-parts"),
        body=(
            "<p>Wir füllen Ihre Schraubenregale automatisch auf. Sie zahlen nur, was "
            "entnommen wurde.</p>",
            "<p>We refill your screw racks automatically. You only pay for what was taken.</p>",
        ),
        cta=("Kanban einrichten", "Set up Kanban"),
        cta_url=("https://example.com/kanban", "https://example.com/en/kanban"),
        role=BuyingRole.BUYER,
        phase=JourneyPhase.LOYALTY,
        sku="HW-BEF-0002",
    ),
    # Still in the workflow.
    Message(
        headline=("Merkmale vergleichen statt suchen", "Compare features instead of searching"),
        body=(
            "<p>Der neue Produktvergleich zeigt bis zu vier Artikel nebeneinander, mit allen "
            "technischen Merkmalen.</p>",
            "<p>The new product comparison shows up to four items side by side, with all "
            "technical features.</p>",
        ),
        cta=("Vergleich testen", "Try the comparison"),
        cta_url=("https://example.com/vergleich", "https://example.com/en/compare"),
        role=BuyingRole.INFLUENCER,
        phase=JourneyPhase.CONSIDERATION,
        plan=waiting_at(0),
        english=None,
    ),
    Message(
        headline=("Neu im Sortiment: Hydraulik", "New in the range: hydraulics"),
        body=(
            "<p>Schläuche, Armaturen, Pumpen und Zylinder: ab sofort zu Ihren gewohnten "
            "Konditionen.</p>",
            "<p>Hoses, fittings, pumps and cylinders: available now on your usual terms.</p>",
        ),
        cta=("Hydraulik entdecken", "Discover hydraulics"),
        cta_url=("https://example.com/hydraulik", "https://example.com/en/hydraulics"),
        role=BuyingRole.BUYER,
        phase=JourneyPhase.AWARENESS,
        plan=waiting_at(1),
        english=DRAFT,
    ),
    Message(
        headline=("Treuepunkte für jede Bestellung", "Loyalty points on every order"),
        body=(
            "<p>Sammeln Sie mit jeder Bestellung Punkte und tauschen Sie sie gegen Werkzeug "
            "oder Schulungen.</p>",
            "<p>Collect points with every order and exchange them for tools or training.</p>",
        ),
        cta=("Programm ansehen", "See the programme"),
        cta_url=("https://example.com/treue", "https://example.com/en/loyalty"),
        role=BuyingRole.USER,
        phase=JourneyPhase.LOYALTY,
        plan=waiting_at(2),
        english=waiting_at(2),
    ),
    Message(
        headline=("Prüfprotokolle digital archiviert", "Inspection records archived digitally"),
        body=(
            "<p>Alle Prüfungen nach DGUV V3 dokumentiert und revisionssicher abrufbar.</p>",
            "<p>Every DGUV V3 inspection documented and retrievable for audits.</p>",
        ),
        cta=("Mehr erfahren", "Learn more"),
        cta_url=("https://example.com/pruefung", "https://example.com/en/inspection"),
        role=BuyingRole.APPROVER,
        phase=JourneyPhase.EXPERIENCE,
        plan=DRAFT,
        english=None,
    ),
    Message(
        headline=("Jetzt bestellen und 30 % sparen", "Order now and save 30 %"),
        body=(
            "<p>Nur diesen Monat: 30 % auf alles.</p>",
            "<p>This month only: 30 % off everything.</p>",
        ),
        cta=("Jetzt sparen", "Save now"),
        cta_url=("https://example.com/aktion", "https://example.com/en/offer"),
        role=BuyingRole.DECISION_MAKER,
        phase=JourneyPhase.TRANSACTION,
        plan=Plan(
            approvals=1,
            reject_comment=(
                "Rabatt „auf alles“ ohne Ausnahmen und Laufzeit ist irreführend. Bitte "
                "Bedingungen und Aktionszeitraum nennen."
            ),
        ),
        english=None,
    ),
)


# --- Generated media ------------------------------------------------------------------------

IMAGE_SIZE = (640, 480)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font: no system fonts and no downloads needed.
    return ImageFont.load_default(size=size)


def product_jpeg(*, name: str, sku: str, colour: str, detail: bool) -> bytes:
    """A plain product placeholder: coloured background, a shape and the product's name."""
    image = PILImage.new("RGB", IMAGE_SIZE, colour)
    draw = ImageDraw.Draw(image)
    # Different shapes tell the photo and the detail view apart in the chooser.
    if detail:
        draw.ellipse((380, 40, 600, 260), fill="white", outline="black", width=4)
        draw.ellipse((450, 110, 530, 190), fill=colour)
    else:
        draw.rounded_rectangle((360, 60, 600, 240), radius=24, fill="white", outline="black")
        draw.rectangle((400, 120, 560, 180), fill=colour)
    lines = textwrap.wrap(name, width=28)[:4]
    draw.multiline_text((32, 270), "\n".join(lines), fill="white", font=_font(30), spacing=8)
    draw.text((32, 40), sku, fill="white", font=_font(26))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def data_sheet_pdf(*, product: Product) -> bytes:
    """A one-page German data sheet for ``product``."""
    # Imported here: WeasyPrint takes half a second to import, and `--logins` needs none of it.
    import weasyprint

    rows = "".join(
        f"<tr><td>{escape(f.name)}</td><td>{escape(f.value)} {escape(f.unit)}</td></tr>"
        for f in product.features.all()
    )
    html = f"""<html><head><style>
        @page {{ size: A4; margin: 2cm; }}
        body {{ font-family: sans-serif; font-size: 10pt; }}
        table {{ border-collapse: collapse; width: 100%; }}
        td {{ border: 1px solid #999; padding: 4px 8px; }}
        </style></head><body>
        <h1>Datenblatt</h1><h2>{escape(product.name)}</h2>
        <p>Artikelnummer {escape(product.sku)} · GTIN {escape(product.gtin or "–")} ·
        {escape(product.brand)} {escape(product.manufacturer_part_number)}</p>
        <p>{escape(product.short_text)}</p><table>{rows}</table>
        <p><small>Demodaten, erzeugt von seed_demo.</small></p></body></html>"""
    return weasyprint.HTML(string=html).write_pdf()


# --- Quieting Wagtail while seeding ------------------------------------------------------------

# Wagtail's workflow notifications (wagtail.admin.signal_handlers): seeding would otherwise
# send a few hundred "submitted"/"approved" e-mails to the demo users (or try to reach an SMTP
# server that is not there).
WORKFLOW_EMAIL_SIGNALS = (
    (
        task_submitted,
        TaskState,
        admin_notifications.task_submission_email_notifier,
        "group_approval_task_submitted_email_notification",
    ),
    (
        workflow_submitted,
        WorkflowState,
        admin_notifications.workflow_submission_email_notifier,
        "workflow_state_submitted_email_notification",
    ),
    (
        workflow_rejected,
        WorkflowState,
        admin_notifications.workflow_rejection_email_notifier,
        "workflow_state_rejected_email_notification",
    ),
    (
        workflow_approved,
        WorkflowState,
        admin_notifications.workflow_approval_email_notifier,
        "workflow_state_approved_email_notification",
    ),
)


# Wagtail logs a line per revision and publication, WeasyPrint one per rendering step.
CHATTY_LOGGERS = ("wagtail", "weasyprint")


@contextmanager
def quiet_seeding(*, verbose: bool) -> Iterator[None]:
    """No notification e-mails, and no INFO lines per object unless ``verbose``."""
    disconnected = [
        (signal, sender, receiver, uid)
        for signal, sender, receiver, uid in WORKFLOW_EMAIL_SIGNALS
        if signal.disconnect(sender=sender, dispatch_uid=uid)
    ]
    loggers = {name: logging.getLogger(name) for name in CHATTY_LOGGERS}
    levels = {name: logger.level for name, logger in loggers.items()}
    if not verbose:
        for logger in loggers.values():
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(levels[name])
        for signal, sender, receiver, uid in disconnected:
            signal.connect(receiver, sender=sender, dispatch_uid=uid)


# --- The seeder ---------------------------------------------------------------------------------


class Seeder:
    """Creates whatever demo data is missing; ``created`` counts what it made."""

    def __init__(self) -> None:
        self.created: Counter[str] = Counter()
        self.users: dict[str, AbstractBaseUser] = {}
        self.de = Locale.objects.get(language_code="de")
        self.en = Locale.objects.get(language_code="en")
        self.now = timezone.now()

    def run(self) -> None:
        self.seed_users()
        self.editor = self.users["editor"]
        self.reviewers = [self.users[username] for username in REVIEWERS]
        categories = self.seed_categories()
        for index, spec in enumerate(CATEGORIES):
            self.seed_products(spec=spec, index=index, categories=categories)
        for spec in MESSAGES:
            self.seed_message(spec=spec)
        audience = AudienceSeeder(now=self.now)
        audience.run()
        self.created.update(audience.created)
        campaigns = CampaignSeeder(
            manager=self.users["campaigns"],
            approvers=[self.users[username] for username in CAMPAIGN_APPROVERS],
        )
        campaigns.run()
        self.created.update(campaigns.created)

    # Users

    def seed_users(self) -> None:
        User = get_user_model()
        for spec in DEMO_USERS:
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                # Existing users keep their password: someone may have changed it on purpose.
                user = User(
                    username=spec.username,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    email=f"{spec.username}@example.com",
                    is_staff=not spec.group,
                    is_superuser=not spec.group,
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
                profile = UserProfile.get_for_user(user)
                profile.preferred_language = "en"  # the demo admin speaks English
                profile.save(update_fields=["preferred_language"])
                self.created["users"] += 1
            if spec.group and not user.groups.filter(name=spec.group).exists():
                user.groups.add(Group.objects.get(name=spec.group))
            self.users[spec.username] = user

    # Categories

    def seed_categories(self) -> dict[str, Category]:
        categories = {}
        for order, spec in enumerate(CATEGORIES):
            top = self._category(slug=spec.slug, name=spec.name, name_en=spec.name_en, order=order)
            categories[spec.slug] = top
            for child_order, (slug, name, name_en) in enumerate(spec.children):
                categories[slug] = self._category(
                    slug=slug, name=name, name_en=name_en, order=child_order, parent=top
                )
        return categories

    def _category(
        self, *, slug: str, name: str, name_en: str, order: int, parent: Category | None = None
    ) -> Category:
        category, created = Category.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "name_en": name_en, "sort_order": order, "parent": parent},
        )
        if created:
            self.created["categories"] += 1
        return category

    # Products

    def seed_products(
        self, *, spec: CategorySpec, index: int, categories: dict[str, Category]
    ) -> None:
        for family_index, family in enumerate(spec.families):
            for variant_index in range(len(family.variants)):
                position = family_index * len(family.variants) + variant_index
                sku = f"HW-{spec.code}-{position + 1:04d}"
                german = Product.objects.filter(sku=sku, locale=self.de).first()
                if german is None:
                    plan = product_plan(category=index, position=position)
                    german = self._new_german_product(
                        sku=sku,
                        spec=spec,
                        family=family,
                        variant=variant_index,
                        number=index * 12 + position + 1,
                        position=position,
                        category=categories[family.category or spec.slug],
                        legal_claim=plan.reject_comment == LEGAL_REJECTION,
                    )
                    self._run_plan(obj=german, plan=plan, revise=_revise_product)
                    self.created["German products"] += 1
                plan = english_plan(category=index, position=position)
                translated = Product.objects.filter(sku=sku, locale=self.en).exists()
                if plan is not None and not translated:
                    english = self._english_product(
                        german=german, family=family, variant=variant_index
                    )
                    self._run_plan(obj=english, plan=plan, revise=_revise_product)
                    self.created["English products"] += 1

    def _new_german_product(
        self,
        *,
        sku: str,
        spec: CategorySpec,
        family: Family,
        variant: int,
        number: int,
        position: int,
        category: Category,
        legal_claim: bool,
    ) -> Product:
        label = _in(family.variants[variant].label, "de")
        name = family.name[0].format(v=label)
        availability, lead_time = AVAILABILITY.get(position, (Availability.IN_STOCK, 2))
        price = None if availability == Availability.ON_REQUEST else family.variants[variant].price
        product = Product(
            locale=self.de,
            sku=sku,
            gtin="" if position in NO_GTIN_POSITIONS else gtin_for(number),
            brand=family.brand,
            manufacturer_part_number=family.mpn.format(code=family.variants[variant].code),
            name=name,
            short_text=family.short[0].format(v=label),
            long_text=family.long[0].format(v=label),
            etim_class=family.etim_class,
            price=Decimal(price) if price else None,
            currency="EUR",
            availability=availability,
            lead_time_days=lead_time,
            erp_updated_at=self.now,
            categories=[category],
            features=[
                ProductFeature(
                    name=_in(feature.name, "de"),
                    value=_in(feature.value(variant), "de"),
                    unit=_in(feature.unit, "de"),
                    etim_feature=feature.etim,
                    sort_order=order,
                )
                for order, feature in enumerate(family.features)
            ],
        )
        if legal_claim:
            product.long_text += LEGAL_CLAIM
        if position not in NO_IMAGE_POSITIONS:
            views = (False, True) if position % 3 == 0 else (False,)
            product.images = [
                ProductImage(
                    image=self._image(product=product, colour=spec.colour, detail=detail),
                    alt_text=f"{'Detailansicht' if detail else 'Produktfoto'}: {name}",
                    sort_order=order,
                )
                for order, detail in enumerate(views)
            ]
        if position not in NO_DATA_SHEET_POSITIONS:
            product.documents = [
                ProductDocument(
                    document=self._data_sheet(product=product), label="Datenblatt", sort_order=0
                )
            ]
        return product

    def _image(self, *, product: Product, colour: str, detail: bool) -> Image:
        title = f"{product.sku} {product.name}" + (" (Detail)" if detail else "")
        image = Image.objects.filter(title=title).first()
        if image is None:
            data = product_jpeg(name=product.name, sku=product.sku, colour=colour, detail=detail)
            suffix = "-detail" if detail else ""
            image = Image(
                title=title,
                file=ImageFile(io.BytesIO(data), name=f"{product.sku.lower()}{suffix}.jpg"),
            )
            image._set_image_file_metadata()  # what the admin's upload form does
            image.save()
            self.created["images"] += 1
        return image

    def _data_sheet(self, *, product: Product) -> Document:
        title = f"Datenblatt {product.sku}"
        document = Document.objects.filter(title=title).first()
        if document is None:
            pdf = data_sheet_pdf(product=product)
            document = Document(
                title=title,
                file=ContentFile(pdf, name=f"datenblatt-{product.sku.lower()}.pdf"),
            )
            document._set_document_file_metadata()
            document.save()
            self.created["data sheets"] += 1
        return document

    def _english_product(self, *, german: Product, family: Family, variant: int) -> Product:
        # Translate the current German content, as the admin's "Translate" action does; the
        # copy starts as an unpublished draft (ContentModel.copy_for_translation).
        english = Product.objects.get(pk=german.pk).copy_for_translation(self.en)
        label = _in(family.variants[variant].label, "en")
        english.name = family.name[1].format(v=label)
        english.short_text = family.short[1].format(v=label)
        english.long_text = family.long[1].format(v=label)
        by_name = {_in(f.name, "de"): f for f in family.features}
        for row in english.features.all():
            spec = by_name.get(row.name)
            if spec is not None:
                row.name = _in(spec.name, "en")
                row.value = _in(spec.value(variant), "en")
                row.unit = _in(spec.unit, "en")
        for row in english.images.all():
            kind = "Detail view" if row.alt_text.startswith("Detail") else "Product photo"
            row.alt_text = f"{kind}: {english.name}"
        for row in english.documents.all():
            row.label = "Data sheet (German)"
        return english

    # Audience messages

    def seed_message(self, *, spec: Message) -> None:
        german = AudienceMessage.objects.filter(headline=spec.headline[0], locale=self.de).first()
        if german is None:
            german = AudienceMessage(
                locale=self.de,
                headline=spec.headline[0],
                body=spec.body[0],
                role=spec.role,
                phase=spec.phase,
                product=self._product(sku=spec.sku, locale=self.de),
                cta_label=spec.cta[0],
                cta_url=spec.cta_url[0],
            )
            self._run_plan(obj=german, plan=spec.plan, revise=None)
            self.created["German messages"] += 1
        english_exists = AudienceMessage.objects.filter(
            headline=spec.headline[1], locale=self.en
        ).exists()
        if spec.english is not None and not english_exists:
            english = AudienceMessage.objects.get(pk=german.pk).copy_for_translation(self.en)
            english.headline = spec.headline[1]
            english.body = spec.body[1]
            english.cta_label = spec.cta[1]
            english.cta_url = spec.cta_url[1]
            english.product = self._product(sku=spec.sku, locale=self.en)
            self._run_plan(obj=english, plan=spec.english, revise=None)
            self.created["English messages"] += 1

    def _product(self, *, sku: str, locale: Locale) -> Product | None:
        return Product.objects.get(sku=sku, locale=locale) if sku else None

    # The workflow

    def _run_plan(
        self, *, obj: ContentModel, plan: Plan, revise: Callable[[ContentModel], None] | None
    ) -> None:
        if not plan.submit:
            content_save_draft(obj=obj, user=self.editor)
            return
        content_submit(obj=obj, user=self.editor)
        for reviewer in self.reviewers[: plan.approvals]:
            content_approve(obj=obj, user=reviewer)
        if plan.reject_comment:
            content_reject(
                obj=obj, user=self.reviewers[plan.approvals], comment=plan.reject_comment
            )
        if plan.edit_after_publishing and revise is not None:
            live = type(obj).objects.get(pk=obj.pk)
            revise(live)
            content_save_draft(obj=live, user=self.editor)


def _revise_product(product: ContentModel) -> None:
    product.short_text += LATER_EDIT


class Command(BaseCommand):
    """``seed_demo`` fills an empty hub with demo content; ``seed_demo --logins`` prints logins.

    Safe to repeat: whatever already exists (by username, slug, SKU and locale, headline and
    locale) is left exactly as it is.
    """

    help = (
        "Create demo users, categories, products and audience messages (idempotent). "
        f"Every demo user's password is {DEMO_PASSWORD!r}: for local demos only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--logins", action="store_true", help="Only print the demo logins, touch nothing."
        )

    def handle(self, *args, logins: bool = False, verbosity: int = 1, **options) -> None:
        if logins:
            self.stdout.write(logins_table())
            return
        started = time.monotonic()
        with quiet_seeding(verbose=verbosity >= 2), transaction.atomic():
            seeder = Seeder()
            seeder.run()
        seconds = time.monotonic() - started
        if seeder.created:
            made = ", ".join(f"{count} {what}" for what, count in seeder.created.items())
            self.stdout.write(f"Demo data: created {made} in {seconds:.1f} s.")
        else:
            self.stdout.write(f"Demo data already present; nothing to do ({seconds:.1f} s).")
