"""Every CSV download is built by portal/downloads.py `csv_response`: a file to save under its
name, one header row, then a line per row, cells quoted where a spreadsheet needs it."""

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from portal.downloads import csv_response


@dataclass
class Visit:
    day: datetime.date
    contractor: str
    grade: Decimal | None


def lines_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_a_download_is_saved_under_its_name_as_utf8_csv():
    # when
    response = csv_response(filename="kpi.csv", columns=["month"], rows=[])

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kpi.csv"'
    assert response.content == b"month\r\n"  # no byte-order mark


def test_columns_with_accessors_read_each_row_and_an_empty_value_is_an_empty_cell():
    # given
    visits = [
        Visit(datetime.date(2026, 3, 2), "Bouw & Zn", Decimal("7.50")),
        Visit(datetime.date(2026, 4, 6), "Dak BV", None),
    ]

    # when
    response = csv_response(
        filename="visits.csv",
        columns=[
            ("month", lambda visit: visit.day.strftime("%Y-%m")),
            ("contractor", lambda visit: visit.contractor),
            ("grade", lambda visit: visit.grade),
        ],
        rows=visits,
    )

    # then
    assert lines_of(response) == [
        ["month", "contractor", "grade"],
        ["2026-03", "Bouw & Zn", "7.50"],
        ["2026-04", "Dak BV", ""],
    ]


def test_headers_alone_take_each_row_as_its_cells_in_order():
    # when
    response = csv_response(
        filename="fees.csv",
        columns=["contractor", "amount"],
        rows=[("Dak BV", Decimal("12.30")), ("", Decimal("0.00"))],
    )

    # then
    assert response.content.decode() == "contractor,amount\r\nDak BV,12.30\r\n,0.00\r\n"


def test_commas_quotes_line_breaks_and_accents_survive_the_round_trip():
    # given names a spreadsheet would split or cut without quoting
    names = ['Loodgieter "De Kraan", Eindhoven', "Dak\nBV", "Schilder Müller ’s-Hertogenbosch"]

    # when
    response = csv_response(filename="names.csv", columns=["name"], rows=[(n,) for n in names])

    # then each is one cell again when read back, and quoted where needed
    assert lines_of(response) == [["name"], *([n] for n in names)]
    assert '"Loodgieter ""De Kraan"", Eindhoven"' in response.content.decode()


def test_text_a_spreadsheet_would_run_as_a_formula_is_written_as_text():
    # given names and notes that start like a formula, and figures that start with a sign
    rows = [
        ('=HYPERLINK("http://example.com")', "-12.5"),
        ("+31 6 1234", "@SUM(A1)"),
        ("-", "Dakgoot"),
    ]

    # when
    response = csv_response(filename="x.csv", columns=["name", "note"], rows=rows)

    # then each formula-like text starts with an apostrophe; numbers stay numbers
    assert lines_of(response)[1:] == [
        ['\'=HYPERLINK("http://example.com")', "-12.5"],
        ["'+31 6 1234", "'@SUM(A1)"],
        ["'-", "Dakgoot"],
    ]
