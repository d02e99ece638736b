"""CSV downloads: one response builder for every export in the portal.

Plain UTF-8 without a byte-order mark, comma-separated, one header row; an empty value
(``None``) is an empty cell. Cells are written as they are: no export today contains text a
tenant typed, only staff-kept names and figures.
"""

import csv
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpResponse

Column = str | tuple[str, Callable[[Any], Any]]


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
                row[index] if isinstance(column, str) else column[1](row)
                for index, column in enumerate(columns)
            ]
        )
    return response
