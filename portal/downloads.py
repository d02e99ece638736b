"""CSV downloads: one response builder for every export in the portal.

Plain UTF-8 without a byte-order mark, comma-separated, one header row; an empty value
(``None``) is an empty cell. A text cell that a spreadsheet would read as a formula (it
starts with =, +, -, @, a tab or a carriage return, and is not a number) gets a leading
apostrophe, so a name or note typed by anyone can never run in the reader's spreadsheet.
"""

import csv
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpResponse

Column = str | tuple[str, Callable[[Any], Any]]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def csv_response(*, filename: str, columns: Sequence[Column], rows: Iterable[Any]) -> HttpResponse:
    """A CSV file to download as ``filename``.

    Each column is either its header, and then each row is a sequence of cells in column
    order, or a ``(header, accessor)`` pair, and then the accessor takes the row and gives
    the cell.
    """
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([column if isinstance(column, str) else column[0] for column in columns])
    for row in rows:
        writer.writerow(
            [
                _cell(row[index] if isinstance(column, str) else column[1](row))
                for index, column in enumerate(columns)
            ]
        )
    return response
