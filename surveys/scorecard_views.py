"""The area scorecard's pages, for staff (the admin, surveys.admin_scorecard) and for a
contractor (/aannemer/kpi/scorecard/): the period choice, the page, the CSV and the PDF. The
scope is decided by the caller (the scoped admin queryset, or the contractor's own
contracts); this module only renders what contract_scorecards gives."""

import datetime
import re

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from portal.downloads import csv_response

from .scorecard import ContractScorecard, current_period

PERIOD = re.compile(r"^(?P<year>20[0-9]{2})(?:-Q(?P<quarter>[1-4]))?$")


def period_choices(today: datetime.date) -> list[tuple[str, str]]:
    """The last eight quarters and the last three years, newest first."""
    year, quarter = current_period(today)
    index = year * 4 + quarter - 1
    choices = []
    for back in range(8):
        at = index - back
        code = f"{at // 4}-Q{at % 4 + 1}"
        choices.append((code, f"{at // 4} Q{at % 4 + 1}"))
    choices += [(str(year - back), str(year - back)) for back in range(3)]
    return choices


def period_from_request(request, today: datetime.date) -> tuple[int, int | None, str, str]:
    """(year, quarter or None, its code, an error to show) from ?period=2026-Q3 or 2026; this
    quarter when empty, and when not understood, with a message."""
    year, quarter = current_period(today)
    default = (year, quarter, f"{year}-Q{quarter}", "")
    raw = (request.GET.get("period") or "").strip()
    if not raw:
        return default
    match = PERIOD.match(raw)
    if not match or int(match["year"]) > year:
        return (
            *default[:3],
            _(
                "The period “%(period)s” is not one we know; this quarter is shown. Pick one from the list."
            )
            % {"period": raw[:20]},
        )
    picked_quarter = int(match["quarter"]) if match["quarter"] else None
    return int(match["year"]), picked_quarter, raw, ""


CSV_COLUMNS = [
    ("housing_association", lambda r: r[0].contract.organisation.name),
    ("contractor", lambda r: r[0].contract.contractor.name),
    ("area", lambda r: r[0].contract.area.name),
    ("period", lambda r: r[0].period_label),
    ("figure", lambda r: r[1].key),
    ("label", lambda r: r[1].label),
    ("value", lambda r: r[1].value),
    ("shown", lambda r: r[1].display),
    ("target", lambda r: r[1].target),
    ("status", lambda r: r[1].status),
    ("trend", lambda r: r[1].trend or ""),
    ("better", lambda r: "" if r[1].better is None else ("yes" if r[1].better else "no")),
]


def scorecard_csv(cards: list[ContractScorecard], filename: str) -> HttpResponse:
    return csv_response(
        filename=filename,
        columns=CSV_COLUMNS,
        rows=((card, figure) for card in cards for figure in card.figures),
    )


def scorecard_pdf(cards: list[ContractScorecard], filename: str, title: str) -> HttpResponse:
    """The scorecards as an A4 PDF for the quarterly contract meeting (WeasyPrint)."""
    from weasyprint import CSS, HTML  # heavy import, only for this download

    html = render_to_string("surveys/scorecard_pdf.html", {"cards": cards, "title": title})
    # the page's style from the static files: templates carry no inline style (CSP)
    stylesheet = CSS(filename=finders.find("css/scorecard-pdf.css"))
    response = HttpResponse(
        HTML(string=html).write_pdf(stylesheets=[stylesheet]), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def filename_for(cards: list[ContractScorecard], code: str, extension: str) -> str:
    if len(cards) == 1:
        contract = cards[0].contract
        slug = re.sub(
            r"[^a-z0-9]+", "-", f"{contract.contractor.name} {contract.area.name}".lower()
        )
        return f"scorecard-{slug.strip('-')}-{code}.{extension}"
    return f"scorecards-{code}.{extension}"
