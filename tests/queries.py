"""How the tests count the questions a page or a piece of work asks the database.

One place for it, so that every "the queries do not grow with the rows" test measures the same
way (STYLE.md, Tests: query counts pinned on every page). Each helper is built on
`statements_of`; the page helpers also check that the page answered 200.
"""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def statements_of(work: Callable[[], Any]) -> list[str]:
    """The SQL of every statement `work()` sends to the default database, in order."""
    with CaptureQueriesContext(connection) as captured:
        work()
    return [query["sql"] for query in captured.captured_queries]


def count_statements(work: Callable[[], Any]) -> int:
    """How many statements `work()` sends to the default database."""
    return len(statements_of(work))


def queries_of(client, url: str, params: dict | None = None) -> list[str]:
    """The SQL of one GET of the page, which must answer 200."""
    responses = []
    statements = statements_of(lambda: responses.append(client.get(url, params)))
    assert responses[0].status_code == 200
    return statements


def count_queries(client, url: str, params: dict | None = None) -> int:
    """How many queries one GET of the page asks; the page must answer 200."""
    return len(queries_of(client, url, params))


def count_queries_settled(client, url: str, params: dict | None = None) -> int:
    """Queries of one GET, after a first GET has filled the per-process caches."""
    assert client.get(url, params).status_code == 200
    return count_queries(client, url, params)
