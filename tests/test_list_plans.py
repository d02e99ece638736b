"""On PostgreSQL, every list and search of the planner and the admin reads the request table
by an index that matches its filter (and order), never by a Seq Scan (DESIGN.md, Scale).

The tables are filled in SQL with a spread like a real installation's (years of mostly
completed work, several contractors and associations, a few open requests), committed and
VACUUM ANALYZEd as autovacuum would leave them, so the planner chooses with real statistics
and visibility; each page's queries are then EXPLAINed as they ran."""

import json

import pytest
from django.db import connection, transaction
from django.urls import reverse

from . import factories
from .queries import queries_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]

REQUESTS_TABLE = "repairs_repairrequest"
# an association's requests of one status: either index serves (the planner picks by size)
STATUS_INDEXES = "request_org_status_completed|request_status_created"
REFERENCE_INDEXES = (
    "repairs_repairrequest_reference_key|repairs_repairrequest_reference_9f8eeb25_like"
)
DWELLINGS = 20_000
REQUESTS = 60_000
STREETS = [
    f"{first}{second}{kind}"
    for first in ("Ber", "Lin", "Wil", "Kas", "Hol", "Zon", "Gra", "Sta")
    for second in ("den", "ker", "sel", "hout", "berg", "dijk", "veld", "meer")
    for kind in ("straat", "weg", "laan", "plein", "hof")
]


def _fill(chain, other_chain) -> None:
    """DWELLINGS dwellings over the two associations, REQUESTS requests over three years: a
    tenth at the chain's contractor, the rest at the other; nearly all of them closed. (The
    request's state is taken from g / 10, as its association is from g modulo 10.)"""
    ours, theirs = chain.organisation.pk, other_chain.organisation.pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO portal_dwelling (organisation_id, reference, street, house_number,
                house_number_suffix, postcode, city, dwelling_type, in_portfolio_from, is_vacant)
            SELECT CASE WHEN g %% 10 = 0 THEN %s ELSE %s END, 'P' || g,
                   (%s::text[])[1 + (g * 7919) %% %s], 1 + g / 100, '',
                   (1000 + (g / 20) %% 9000)::text || chr(65 + g %% 26) || chr(65 + (g / 26) %% 26),
                   'Eindhoven', 'TUS', DATE '2015-01-01', false
            FROM generate_series(1, %s) g
            """,
            [ours, theirs, STREETS, len(STREETS), DWELLINGS],
        )
        cursor.execute(
            """
            INSERT INTO repairs_repairrequest (organisation_id, reference, dwelling_id, channel,
                description, access_notes, contact_phone, is_urgent, status, created_at,
                completed_at, cancel_reason, category_id, contract_id, contractor_id,
                planning_note)
            SELECT d.organisation_id, 'R-2020-' || lpad(g::text, 7, '0'), d.id,
                   CASE WHEN (g / 10) %% 4 = 0 THEN 'phone' ELSE 'portal' END, 'Lekt', '', '',
                   (g / 10) %% 25 = 0,
                   CASE WHEN (g / 10) %% 100 = 1 THEN 'routed' WHEN (g / 10) %% 100 = 2 THEN 'scheduled'
                        WHEN (g / 10) %% 100 = 3 THEN 'follow_up' WHEN (g / 10) %% 100 = 4 THEN 'cancelled'
                        ELSE 'completed' END,
                   now() - (g %% 1095) * interval '1 day',
                   CASE WHEN (g / 10) %% 100 > 4 THEN now() - (g %% 1095) * interval '1 day' END, '',
                   CASE WHEN d.organisation_id = %s THEN %s ELSE %s END,
                   CASE WHEN d.organisation_id = %s THEN %s ELSE %s END,
                   CASE WHEN d.organisation_id = %s THEN %s ELSE %s END, ''
            FROM generate_series(1, %s) g
            JOIN portal_dwelling d ON d.reference = 'P' || (1 + (g * 31) %% %s)
            """,
            [
                *(ours, chain.category.pk, other_chain.category.pk),
                *(ours, chain.contract.pk, other_chain.contract.pk),
                *(ours, chain.contractor.pk, other_chain.contractor.pk),
                REQUESTS,
                DWELLINGS,
            ],
        )


@pytest.fixture
def installation(now, chain, other_chain, craftsman):
    _fill(chain, other_chain)
    # a few visits: planned today and planned yesterday (overdue), of the chain's contractor
    for days in (0, -1):
        slot = chain.slot(days=days, capacity=5)
        for _ in range(3):
            factories.scheduled_request_create(chain, slot, craftsman=craftsman)
    with connection.cursor() as cursor:
        for table in ("portal_dwelling", "repairs_repairrequest", "repairs_appointment"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return chain


def _plans(client, url: str) -> list[tuple[str, str]]:
    """(sql, plan as text) of each SELECT the page runs, EXPLAINed as it ran."""
    return [
        (sql, _explain(sql))
        for sql in queries_of(client, url)
        if sql.lstrip().upper().startswith("SELECT")
    ]


def _nodes(plans):
    def walk(node):
        yield node
        for child in node.get("Plans", []):
            yield from walk(child)

    for sql, plan in plans:
        for node in walk(json.loads(plan)[0]["Plan"]):
            yield sql, node


def _seq_scans(plans) -> list[str]:
    return [
        sql[:300]
        for sql, node in _nodes(plans)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == REQUESTS_TABLE
    ]


def _indexes(plans) -> set[str]:
    return {node["Index Name"] for _sql, node in _nodes(plans) if "Index Name" in node}


def _check(client, url: str, index: str, *, in_order: bool = False) -> list[str]:
    """What is wrong with the page's plans: a Seq Scan on the request table, the index that
    should serve it unused, or (in_order) the page's rows sorted rather than read in order."""
    plans = _plans(client, url)
    problems = [f"{url}: Seq Scan on the requests in {sql}" for sql in _seq_scans(plans)]
    used = _indexes(plans)
    if not set(index.split("|")) & used:
        problems.append(f"{url}: {index} not used; used {sorted(used)}")
    if in_order:
        # A few hundred rows are sorted faster than read in order, so at this size the order
        # is checked with sorting priced out: an index that gives the list's order is taken,
        # and without one the Sort stays.
        rows = [sql for sql, _plan in plans if sql.startswith(PAGE_OF_REQUESTS)]
        if not rows or any('"Node Type": "Sort"' in _explain(sql, "enable_sort") for sql in rows):
            problems.append(f"{url}: the rows are sorted, not read in order from {index}")
    return problems


def _explain(sql: str, *disabled: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in disabled:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    return plan if isinstance(plan, str) else json.dumps(plan)


PAGE_OF_REQUESTS = 'SELECT "repairs_repairrequest"."id"'

# (list, query string, index that must serve it, rows read in the list's order)
PLANNER_PAGES = [
    ("new", "", "request_contractor_queue", True),
    ("plan", "", "request_contractor_waiting", True),
    ("today", "", "request_contractor_queue|appointment_status_start", False),
    ("overdue", "", "appointment_planned_end|request_contractor_queue", False),
    ("emergency", "", "request_contractor_queue", False),
    ("all", "", "request_contractor_open_new", True),
    ("all", "?pagina=3", "request_contractor_open_new", True),
    ("all", "?q=r-2020-0000010", REFERENCE_INDEXES, False),
    ("all", "?q=berselstraat", "dwelling_street_trgm", False),
    ("all", "?q=Linkerweg+5", "dwelling_street_trgm", False),
    ("all", "?q=1012", "dwelling_postcode_start", False),
    ("new", "?q=1012+AB", "dwelling_postcode_start", False),
]


def test_planner_lists_and_search_read_the_requests_by_index(installation, planner_client):
    # given a filled, vacuumed and analyzed installation

    # when
    problems = [
        problem
        for name, query, index, in_order in PLANNER_PAGES
        for problem in _check(
            planner_client,
            reverse("work_queue", args=[name]) + query,
            index,
            in_order=in_order,
        )
    ]

    # then
    assert problems == []


ADMIN_PAGES = [
    ("staff", "", "request_org_created", True),
    ("staff", "?q=R-2020-0000010", REFERENCE_INDEXES, False),
    ("staff", "?q=berselstr", "dwelling_street_trgm", False),
    ("staff", "?q=1012", "dwelling_postcode_start", False),
    ("staff", "?status__exact=routed", STATUS_INDEXES, False),
    ("staff", "?routing=unrouted", STATUS_INDEXES, False),
    ("staff", "?is_urgent__exact=1", "request_org_urgent_created", True),
    ("staff", "?channel__exact=phone", "request_org_channel_created", True),
    ("staff", "?contractor__id__exact={contractor}", "request_org_contractor_created", True),
    ("superuser", "", "repairs_repairrequest_created_at_77f360bf", False),
    ("superuser", "?status__exact=routed", "request_status_created", False),
    ("superuser", "?q=berselstraat", "dwelling_street_trgm", False),
]


def test_admin_request_list_filters_and_search_read_the_requests_by_index(
    installation, english_client, staff_user, superuser
):
    # given a filled, vacuumed and analyzed installation, staff of the chain's association
    clients = {"staff": english_client(staff_user), "superuser": english_client(superuser)}
    url = reverse("admin:repairs_repairrequest_changelist")

    # when
    problems = [
        problem
        for who, query, index, in_order in ADMIN_PAGES
        for problem in _check(
            clients[who],
            url + query.format(contractor=installation.contractor.pk),
            index,
            in_order=in_order,
        )
    ]

    # then
    assert problems == []


def _fill_survey_answers() -> None:
    """An invitation and an answer for every completed request: a tenth graded 5 or lower,
    all but one in two hundred of those followed up already (as on a real installation)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO surveys_surveyinvitation (token, email, language, status, due_at,
                sent_at, created_at, area_id, contractor_id, organisation_id, request_id)
            SELECT 'T' || r.id, '', 'nl', 'answered', r.created_at, r.created_at,
                   r.created_at, c.area_id, r.contractor_id, r.organisation_id, r.id
            FROM repairs_repairrequest r JOIN contractors_contract c ON c.id = r.contract_id
            WHERE r.status = 'completed'
            """
        )
        cursor.execute(
            """
            INSERT INTO surveys_surveyresponse (overall_grade, comment, may_contact, answered_at,
                follow_up_handled_at, area_id, contractor_id, invitation_id, organisation_id)
            SELECT CASE WHEN i.id % 10 = 0 THEN 4 ELSE 8 END, '', false, i.created_at,
                   CASE WHEN i.id % 2000 <> 0 THEN i.created_at END,
                   i.area_id, i.contractor_id, i.id, i.organisation_id
            FROM surveys_surveyinvitation i
            """
        )
        for table in ("surveys_surveyinvitation", "surveys_surveyresponse"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def test_staff_start_page_counts_open_grades_by_index(installation, english_client, staff_user):
    # given tens of thousands of answered surveys, a handful of low grades still open
    _fill_survey_answers()
    client = english_client(staff_user)

    # when the start page's queries are explained as they ran
    plans = _plans(client, reverse("admin:index"))

    # then the count of grades to follow up reads the open ones by their partial index
    follow_up = [
        (sql, plan)
        for sql, plan in plans
        if '"surveys_surveyresponse"' in sql and '"follow_up_handled_at" IS NULL' in sql
    ]
    assert follow_up
    assert "response_follow_up_open" in _indexes(follow_up)
    assert not [
        sql
        for sql, node in _nodes(follow_up)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "surveys_surveyresponse"
    ]
