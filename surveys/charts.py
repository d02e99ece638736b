"""A line chart as inline SVG, readable without colour: each series has its own dash pattern
and marker shape, is labelled at its end, and the figures are also in a table."""

import datetime
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

MARKERS = ("circle", "square", "triangle", "diamond", "cross")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")
COLOURS = ("#0b5394", "#b45f06", "#38761d", "#741b47", "#444444")


@dataclass
class Series:
    label: str
    values: list[float | None]
    marker: str
    dash: str
    colour: str


@dataclass
class Chart:
    title: str
    months: list[str]
    series: list[Series]
    y_max: float
    y_ticks: list[float]
    unit: str
    width: int = 640
    height: int = 260
    left: int = 44
    right: int = 150
    top: int = 16
    bottom: int = 36

    def x(self, index: int) -> float:
        span = self.width - self.left - self.right
        steps = max(len(self.months) - 1, 1)
        return self.left + span * index / steps

    def y(self, value: float) -> float:
        span = self.height - self.top - self.bottom
        return self.top + span * (1 - value / self.y_max)

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def y_label_x(self) -> int:
        return self.left - 6

    @property
    def x_label_y(self) -> int:
        return self.height - 14

    def points(self, series: Series) -> list[dict]:
        return [
            {
                "x": round(self.x(i), 1),
                "y": round(self.y(v), 1),
                "value": v,
                "d": marker_path(series.marker, self.x(i), self.y(v)),
            }
            for i, v in enumerate(series.values)
            if v is not None
        ]

    def path(self, series: Series) -> str:
        """Line segments between consecutive months that have a value."""
        parts, previous = [], None
        for i, value in enumerate(series.values):
            if value is None:
                previous = None
                continue
            command = "L" if previous is not None else "M"
            parts.append(f"{command}{self.x(i):.1f},{self.y(value):.1f}")
            previous = i
        return " ".join(parts)

    def rendered_series(self) -> list[dict]:
        out = []
        for series in self.series:
            points = self.points(series)
            last = points[-1] if points else None
            out.append(
                {
                    "series": series,
                    "path": self.path(series),
                    "points": points,
                    "label_x": self.width - self.right + 8,
                    "label_y": last["y"] if last else None,
                    "filled": series.marker != "cross",
                }
            )
        return out

    def grid(self) -> list[dict]:
        return [{"y": round(self.y(t), 1), "label": f"{t:g}"} for t in self.y_ticks]

    def x_labels(self) -> list[dict]:
        return [{"x": round(self.x(i), 1), "label": m} for i, m in enumerate(self.months)]


def series_style(index: int) -> dict:
    return {
        "marker": MARKERS[index % len(MARKERS)],
        "dash": DASHES[index % len(DASHES)],
        "colour": COLOURS[index % len(COLOURS)],
    }


def marker_path(shape: str, x: float, y: float) -> str:
    """An SVG path for a marker centred on (x, y)."""
    if shape == "circle":
        return f"M{x - 4:.1f},{y:.1f} a4,4 0 1,0 8,0 a4,4 0 1,0 -8,0"
    if shape == "square":
        return f"M{x - 4:.1f},{y - 4:.1f} h8 v8 h-8 z"
    if shape == "triangle":
        return f"M{x:.1f},{y - 5:.1f} l5,9 h-10 z"
    if shape == "diamond":
        return f"M{x:.1f},{y - 5:.1f} l5,5 l-5,5 l-5,-5 z"
    return f"M{x - 4:.1f},{y - 4:.1f} l8,8 m0,-8 l-8,8"


# -- the KPI dashboard's charts --------------------------------------------------------------


def kpi_charts(*, rows, start: datetime.date, end: datetime.date) -> list[Chart]:
    """The mean grade and the first-time-fix rate per contractor and month, from the KPI
    rows (per month, contractor and area) of the months from `start` to `end`: a grade is
    weighed by its number of answers, a rate counts the completed requests."""
    months = _months(start, end)
    by_contractor: dict[str, dict[datetime.date, dict]] = {}
    for row in rows:
        cell = by_contractor.setdefault(row.contractor, {}).setdefault(
            row.month, {"grade_sum": 0.0, "responses": 0, "ftf": 0, "completed": 0}
        )
        if row.mean_grade is not None:
            cell["grade_sum"] += row.mean_grade * row.responses
            cell["responses"] += row.responses
        cell["ftf"] += row.first_time_fixes
        cell["completed"] += row.completed
    grade_series, ftf_series = [], []
    for index, (name, cells) in enumerate(sorted(by_contractor.items())):
        style = series_style(index)
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
        grade_series.append(Series(name, grades, **style))
        ftf_series.append(Series(name, ftf, **style))
    labels = [formats.date_format(month, "M Y") for month in months]
    return [
        Chart(_("Mean grade per contractor"), labels, grade_series, 10, [0, 2, 4, 6, 8, 10], ""),
        Chart(
            _("First-time-fix rate per contractor"),
            labels,
            ftf_series,
            100,
            [0, 25, 50, 75, 100],
            "%",
        ),
    ]


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, day = [], start
    while day <= end:
        months.append(day)
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months
