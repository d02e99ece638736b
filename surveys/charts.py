"""The series of the KPI charts (the staff dashboard and a contractor's own figures).

`kpi_charts` is the one selector of them: the pages render its `Chart`s as an HTML legend, a
canvas that static/js/kpi-charts.js draws with Chart.js from `Chart.data()` (passed with
`json_script`), and a table of the same figures for a screen reader or anyone who wants the
numbers. Each series has its own colour, line pattern and marker shape, so the lines are told
apart without colour too, and the legend shows the same swatch."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.scoping import OrganisationScope, filter_by_scope
from repairs.lifecycle import OPEN_STATUSES
from repairs.models import RepairRequest

from .kpis import next_month

# Colours with at least 4.5:1 against white; marker shapes are Chart.js point styles.
COLOURS = ("#0b5394", "#b45f06", "#38761d", "#741b47", "#444444", "#a61c00", "#134f5c")
MARKERS = ("circle", "rect", "triangle", "rectRot", "crossRot")
DASHES = ((), (6, 3), (2, 3), (8, 3, 2, 3))

# Open requests by the whole days since they were reported: (fewest days, label).
AGE_BUCKETS = (
    (0, gettext_lazy("0–2 days")),
    (3, gettext_lazy("3–7 days")),
    (8, gettext_lazy("8–14 days")),
    (15, gettext_lazy("15–30 days")),
    (31, gettext_lazy("more than 30 days")),
)


@dataclass
class Series:
    label: str
    values: list[float | None]  # counts (open requests) are whole numbers
    colour: str
    marker: str
    dash: tuple[int, ...]

    @property
    def swatch_marker(self) -> str:
        """The marker as an SVG path in the legend's 28 × 12 swatch."""
        return marker_path(self.marker, 14, 6)

    @property
    def swatch_dash(self) -> str:
        return " ".join(str(n) for n in self.dash)


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "line": months along x; "bar": horizontal bars, categories along y
    labels: list[str]
    series: list[Series]
    unit: str = ""
    axis_min: float = 0
    axis_max: float | None = None
    axis_step: float | None = None
    axis_title: str = ""
    category_title: str = ""
    digits: int = 1

    @property
    def element_id(self) -> str:
        return f"kpi-chart-{self.key}"

    @property
    def data_id(self) -> str:
        return f"{self.element_id}-data"

    @property
    def description(self) -> str:
        """What the canvas shows, for its aria-label; the numbers are in the table."""
        if self.kind == "line" and self.labels:
            return _(
                "%(title)s, line chart from %(first)s to %(last)s. "
                "The figures are in the table below the chart."
            ) % {"title": self.title, "first": self.labels[0], "last": self.labels[-1]}
        return _("%(title)s, bar chart. The figures are in the table below the chart.") % {
            "title": self.title
        }

    def table_rows(self) -> list[tuple[str, list[float | None]]]:
        """The figures per label (month or age), a column per series."""
        return [
            (label, [series.values[index] for series in self.series])
            for index, label in enumerate(self.labels)
        ]

    def data(self) -> dict:
        """What static/js/kpi-charts.js draws: JSON-safe, numbers as numbers."""
        return {
            "kind": self.kind,
            "labels": self.labels,
            "unit": self.unit,
            "digits": self.digits,
            "axis": {
                "min": self.axis_min,
                "max": self.axis_max,
                "step": self.axis_step,
                "title": self.axis_title,
            },
            "categoryTitle": self.category_title,
            "series": [
                {
                    "label": series.label,
                    "values": series.values,
                    "colour": series.colour,
                    "marker": series.marker,
                    "dash": list(series.dash),
                }
                for series in self.series
            ],
        }


def series_style(index: int) -> dict:
    return {
        "colour": COLOURS[index % len(COLOURS)],
        "marker": MARKERS[index % len(MARKERS)],
        "dash": DASHES[index % len(DASHES)],
    }


def marker_path(shape: str, x: float, y: float) -> str:
    """An SVG path for a marker centred on (x, y), drawn like Chart.js's point style."""
    if shape == "circle":
        return f"M{x - 4:g},{y:g} a4,4 0 1,0 8,0 a4,4 0 1,0 -8,0"
    if shape == "rect":
        return f"M{x - 4:g},{y - 4:g} h8 v8 h-8 z"
    if shape == "triangle":
        return f"M{x:g},{y - 5:g} l5,9 h-10 z"
    if shape == "rectRot":
        return f"M{x:g},{y - 5:g} l5,5 l-5,5 l-5,-5 z"
    return f"M{x - 4:g},{y - 4:g} l8,8 m0,-8 l-8,8"


@dataclass
class OpenByAge:
    contractor_id: int | None
    contractor: str | None
    counts: list[int]


def open_requests_by_age(
    *,
    organisation_ids: OrganisationScope,
    contractor_id: int | None = None,
    area_id: int | None = None,
    now: datetime.datetime | None = None,
) -> list[OpenByAge]:
    """The open requests per contractor (None: not routed yet), counted per AGE_BUCKETS by
    the time since they were reported: one grouped query, scoped as the KPI rows are."""
    now = now or timezone.now()
    requests = filter_by_scope(
        RepairRequest.objects.filter(status__in=sorted(OPEN_STATUSES)), organisation_ids
    )
    if contractor_id:
        requests = requests.filter(contractor_id=contractor_id)
    if area_id:
        requests = requests.filter(contract__area_id=area_id)
    counts = {}
    for index, (days, _label) in enumerate(AGE_BUCKETS):
        bucket = Q(created_at__lte=now - datetime.timedelta(days=days))
        if index + 1 < len(AGE_BUCKETS):
            bucket &= Q(created_at__gt=now - datetime.timedelta(days=AGE_BUCKETS[index + 1][0]))
        counts[f"age_{index}"] = Count("pk", filter=bucket)
    grouped = requests.values("contractor_id", "contractor__name").annotate(**counts).order_by()
    return [
        OpenByAge(
            item["contractor_id"],
            item["contractor__name"],
            [item[f"age_{index}"] for index in range(len(AGE_BUCKETS))],
        )
        for item in grouped
    ]


# -- the KPI pages' charts ----------------------------------------------------------------


def kpi_charts(
    *,
    rows,
    start: datetime.date,
    end: datetime.date,
    organisation_ids: OrganisationScope,
    contractor_id: int | None = None,
    area_id: int | None = None,
    now: datetime.datetime | None = None,
) -> list[Chart]:
    """The KPI charts of the months `start` to `end`, from the KPI rows (per month,
    contractor and area) the page shows, and the open requests now, in the same scope:
    - the mean grade per contractor and month (weighed by its number of answers);
    - the first-time-fix rate per contractor and month (over the completed requests);
    - the share of emergencies and of other repairs completed within their contract's norm,
      per contractor over the months (over the completed requests that had a norm);
    - the open requests per contractor by age.
    A contractor keeps its colour, line and marker in every chart."""
    months = _months(start, end)
    by_contractor: dict[str, dict[datetime.date, dict]] = {}
    # per contractor: emergencies within norm, with a norm; other repairs the same
    within_norm: dict[str, list[int]] = {}
    for row in rows:
        cell = by_contractor.setdefault(row.contractor, {}).setdefault(
            row.month, {"grade_sum": 0.0, "responses": 0, "ftf": 0, "completed": 0}
        )
        norm = within_norm.setdefault(row.contractor, [0, 0, 0, 0])
        norm[0] += row.emergencies_within_norm
        norm[1] += row.emergencies_with_norm
        norm[2] += row.repairs_within_norm
        norm[3] += row.repairs_with_norm
        if row.mean_grade is not None:
            cell["grade_sum"] += row.mean_grade * row.responses
            cell["responses"] += row.responses
        cell["ftf"] += row.first_time_fixes
        cell["completed"] += row.completed
    open_rows = open_requests_by_age(
        organisation_ids=organisation_ids, contractor_id=contractor_id, area_id=area_id, now=now
    )
    names = sorted(set(by_contractor) | {r.contractor for r in open_rows if r.contractor})
    styles = {name: series_style(index) for index, name in enumerate(names)}
    grade_series, ftf_series = [], []
    for name in sorted(by_contractor):
        cells = by_contractor[name]
        grades, ftf = [], []
        for month in months:
            cell = cells.get(month)
            grades.append(
                round(cell["grade_sum"] / cell["responses"], 2)
                if cell and cell["responses"]
                else None
            )
            ftf.append(
                round(100 * cell["ftf"] / cell["completed"], 1)
                if cell and cell["completed"]
                else None
            )
        grade_series.append(Series(name, grades, **styles[name]))
        ftf_series.append(Series(name, ftf, **styles[name]))
    norm_series = [
        Series(name, [_percent(n[0], n[1]), _percent(n[2], n[3])], **styles[name])
        for name, n in sorted(within_norm.items())
        if n[1] or n[3]
    ]
    open_series = [
        Series(r.contractor, list(r.counts), **styles[r.contractor])
        for r in sorted(open_rows, key=lambda r: r.contractor or "")
        if r.contractor
    ]
    open_series += [
        Series(_("Not routed yet"), list(r.counts), **series_style(len(names)))
        for r in open_rows
        if not r.contractor
    ]
    labels = [formats.date_format(month, "M Y") for month in months]
    return [
        Chart(
            "grade",
            _("Mean grade per contractor"),
            "line",
            labels,
            grade_series,
            axis_min=1,
            axis_max=10,
            axis_step=1,
            axis_title=_("Mean grade"),
            category_title=_("Month completed"),
            digits=2,
        ),
        Chart(
            "first-time-fix",
            _("First-time-fix rate per contractor"),
            "line",
            labels,
            ftf_series,
            unit="%",
            axis_min=0,
            axis_max=100,
            axis_step=10,
            axis_title=_("Fixed at the first visit (%)"),
            category_title=_("Month completed"),
        ),
        Chart(
            "within-norm",
            _("Completed within norm per contractor"),
            "bar",
            [_("Emergencies"), _("Repairs")],
            norm_series,
            unit="%",
            axis_min=0,
            axis_max=100,
            axis_step=25,
            axis_title=_("Completed within norm (%)"),
            category_title=_("Kind of repair"),
        ),
        Chart(
            "open-by-age",
            _("Open requests by age"),
            "bar",
            [str(label) for _days, label in AGE_BUCKETS],
            open_series,
            axis_min=0,
            axis_title=_("Open requests"),
            category_title=_("Time since reported"),
            digits=0,
        ),
    ]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, day = [], start
    while day <= end:
        months.append(day)
        day = next_month(day)
    return months
