"""On PostgreSQL, the planner's list "Past the deadline" and the escalation sweep read the
requests by their partial indexes (request_contractor_late, request_late_to_escalate), in
order, never by a Seq Scan: on the filled installation of tests/test_list_plans.py, with a
deadline on every open request (report + 14 days) as routing would have set."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from repairs.selectors import requests_to_escalate

from .queries import statements_of
from .test_list_plans import _check, _explain, installation  # noqa: F401 - its fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


@pytest.fixture
def with_deadlines(request):
    chain = request.getfixturevalue("installation")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE repairs_repairrequest SET complete_due_at = created_at + interval '14 days'"
            " WHERE contract_id IS NOT NULL"
        )
        cursor.execute("VACUUM ANALYZE repairs_repairrequest")
    return chain


def test_the_late_list_reads_its_index_in_order(with_deadlines, planner_client):
    url = reverse("work_queue", args=["late"])

    assert _check(planner_client, url, "request_contractor_late", in_order=True) == []
    assert _check(planner_client, url + "?pagina=2", "request_contractor_late") == []


def test_the_escalation_sweep_reads_its_index(with_deadlines):
    (sql,) = statements_of(
        lambda: list(
            requests_to_escalate(now=timezone.now())
            .filter(escalated_to_planner_at__isnull=True)
            .order_by("complete_due_at")
            .values_list("pk", flat=True)[:500]
        )
    )
    plan = _explain(sql, "enable_sort")

    assert "request_late_to_escalate" in plan
    assert "Seq Scan" not in plan
