"""The staff's start page (the admin index): what needs them today, for their own association
(every association for a superuser); each count opens the admin list of exactly those rows."""

import datetime
import itertools

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from outbox.models import OutboxMessage
from portal.models import ImportJob, ImportStatus
from repairs.lifecycle import Status
from repairs.models import RepairRequest
from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse
from surveys.scorecard import contract_scorecards, current_period
from surveys.start import WORK_KINDS

from . import factories
from .queries import queries_of

KINDS = [kind.key for kind in WORK_KINDS]
_keys = itertools.count()


def work_make(chain: factories.Chain, key: str, *, counted: bool = True) -> None:
    """One row of a kind of work in the chain's association; `counted=False` makes a row
    just outside it (handled, sent, in time, confirmed…), which no count may include."""
    now = timezone.now()
    organisation = chain.organisation
    if key == "unrouted":
        factories.RepairRequestFactory(
            dwelling=chain.dwelling,
            category=chain.category,
            status=Status.UNROUTED if counted else Status.SUBMITTED,
        )
    elif key == "emergency":
        repair_request = factories.routed_request_create(chain, is_urgent=True)
        reported = now - datetime.timedelta(hours=3 if counted else 1)
        RepairRequest.objects.filter(pk=repair_request.pk).update(created_at=reported)
    elif key == "late":
        due = now + datetime.timedelta(days=-2 if counted else 2)
        factories.routed_request_create(chain, complete_due_at=due, visit_due_at=due)
    elif key == "follow_up":
        repair_request = factories.routed_request_create(chain, status=Status.COMPLETED)
        invitation = SurveyInvitation.objects.create(
            organisation=organisation,
            request=repair_request,
            contractor=chain.contractor,
            area=chain.area,
            email="huurder@example.nl",
            status=InvitationStatus.ANSWERED,
            due_at=now,
        )
        SurveyResponse.objects.create(
            organisation=organisation,
            invitation=invitation,
            contractor=chain.contractor,
            area=chain.area,
            overall_grade=4,
            follow_up_handled_at=None if counted else now,
        )
    elif key == "imports":
        ImportJob.objects.create(
            organisation=organisation,
            kind="dwellings",
            file=f"imports/woningen-{next(_keys)}.csv",
            status=ImportStatus.FAILED if counted else ImportStatus.DONE,
        )
    elif key == "outbox":
        OutboxMessage.objects.create(
            key=f"test-{next(_keys)}",
            handler="tests.nothing",
            organisation=organisation,
            attempts=2,
            last_error="SMTP 451",
            sent_at=None if counted else now,
        )
    else:
        raise ValueError(key)


def start_counts(client) -> dict[str, dict]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {item.key: {"count": item.count, "url": item.url} for item in response.context["work"]}


def listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return response.context["cl"].result_count


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


@pytest.fixture(autouse=True)
def cold_cache():
    """The scorecard rows are cached per set of associations: each test starts without."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_each_count_is_the_number_of_rows_on_its_list(now, chain, staff_client):
    # given two rows of each kind of work, and one just outside it
    for key in KINDS:
        work_make(chain, key)
        work_make(chain, key)
        work_make(chain, key, counted=False)

    # when
    counts = start_counts(staff_client)

    # then each count is 2, and its link lists exactly those 2 rows
    assert list(counts) == KINDS
    assert {key: item["count"] for key, item in counts.items()} == dict.fromkeys(KINDS, 2)
    assert {key: listed(staff_client, item["url"]) for key, item in counts.items()} == (
        dict.fromkeys(KINDS, 2)
    )


@pytest.mark.django_db
def test_the_links_filter_each_list(now, chain, staff_client):
    # given
    work_make(chain, "late")

    # when
    counts = start_counts(staff_client)

    # then
    assert counts["unrouted"]["url"] == "/admin/repairs/unroutedrequest/"
    assert counts["emergency"]["url"] == "/admin/repairs/repairrequest/?norm=emergency"
    assert counts["late"]["url"] == "/admin/repairs/repairrequest/?norm=late"
    assert counts["follow_up"]["url"] == "/admin/surveys/followup/?handled=open"
    assert counts["imports"]["url"] == "/admin/portal/importjob/?status__exact=failed"
    assert counts["outbox"]["url"] == "/admin/outbox/outboxmessage/?state=failed"


@pytest.mark.django_db
def test_staff_count_only_their_own_association(
    now, chain, other_chain, staff_client, english_client, other_staff_user, superuser
):
    # given one row of each kind here, and three at the other association
    for key in KINDS:
        work_make(chain, key)
        for _ in range(3):
            work_make(other_chain, key)

    # when
    mine = start_counts(staff_client)
    theirs = start_counts(english_client(other_staff_user))
    everyone = start_counts(english_client(superuser))

    # then each staff user counts and lists only their own rows, a superuser all of them
    assert {key: item["count"] for key, item in mine.items()} == dict.fromkeys(KINDS, 1)
    assert {key: listed(staff_client, item["url"]) for key, item in mine.items()} == (
        dict.fromkeys(KINDS, 1)
    )
    assert {key: item["count"] for key, item in theirs.items()} == dict.fromkeys(KINDS, 3)
    assert {key: item["count"] for key, item in everyone.items()} == dict.fromkeys(KINDS, 4)
    superuser_client = english_client(superuser)
    assert {key: listed(superuser_client, item["url"]) for key, item in everyone.items()} == (
        dict.fromkeys(KINDS, 4)
    )


@pytest.mark.django_db
def test_an_emergency_counts_until_the_contractor_confirms_it(now, chain, staff_client):
    # given an emergency reported three hours ago, not confirmed
    work_make(chain, "emergency")
    assert start_counts(staff_client)["emergency"]["count"] == 1

    # when the contractor confirms it
    RepairRequest.objects.update(contractor_confirmed_at=timezone.now())

    # then
    assert start_counts(staff_client)["emergency"]["count"] == 0


@pytest.mark.django_db
def test_the_page_says_what_it_counts_and_what_happens_next(now, chain, staff_client):
    # given nothing to do
    # when
    response = staff_client.get(reverse("admin:index"))

    # then the counts come first, the screens below, and it says nothing waits
    html = response.content.decode()
    assert html.index("What needs you today") < html.index("All screens")
    assert html.index("All screens") < html.index('id="content-main"')
    assert "Nothing waits for you now." in html
    assert 'href="/admin/repairs/unroutedrequest/"><span class="staff-start-number">0</span>' in (
        html
    )
    # and an app's own index shows its screens only
    app = staff_client.get(reverse("admin:app_list", args=["repairs"])).content.decode()
    assert "What needs you today" not in app


@pytest.mark.django_db
def test_the_page_reads_dutch(now, chain, staff_user, client):
    # given
    work_make(chain, "late")
    client.force_login(staff_user)

    # when
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    # then
    assert "Wat vandaag op u wacht" in html
    assert "Te laat volgens de norm" in html


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    # when
    response = client.get(reverse("admin:index"))

    # then
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_tenants_do_not_get_the_start_page(now, chain, english_client):
    # when
    response = english_client(chain.tenant).get(reverse("admin:index"))

    # then
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_the_start_page_asks_as_many_queries_for_fifty_rows_as_for_one(
    now, chain, english_client, staff_user, superuser, who, django_assert_max_num_queries
):
    # given one row of each kind and one contract; the scorecards computed afresh each time
    client = english_client(staff_user if who == "staff" else superuser)
    for key in KINDS:
        work_make(chain, key)
    url = reverse("admin:index")
    client.get(url)
    cache.clear()
    with_one_row = queries_of(client, url)
    for key in KINDS:
        for _ in range(49):
            work_make(chain, key)
    for _ in range(49):  # and 50 contracts, each with its scorecard row
        factories.ContractFactory(area=factories.AreaFactory(organisation=chain.organisation))

    # when
    cache.clear()
    with_fifty_rows = queries_of(client, url)
    cache.clear()
    with django_assert_max_num_queries(len(with_one_row)):
        response = client.get(url)

    # then
    assert {item.key: item.count for item in response.context["work"]} == dict.fromkeys(KINDS, 50)
    assert len(response.context["scorecards"]) == 50
    assert len(with_fifty_rows) == len(with_one_row)
    # and a second look within SCORECARD_CACHE_SECONDS reads the scorecards from the cache:
    # the counts and the page's own queries only
    assert len(queries_of(client, url)) <= 12


@pytest.mark.django_db
def test_each_contract_has_a_row_of_its_scorecard_linking_to_it(
    now, chain, other_chain, staff_client, english_client, superuser
):
    # given a target the chain's contract misses (no grade yet: no figure) and one it meets
    chain.contract.target_mean_grade = 8
    chain.contract.save()
    year, quarter = current_period(timezone.localdate())
    card = contract_scorecards(
        organisation_ids=[chain.organisation.pk], year=year, quarter=quarter
    )[0]
    statuses = [figure.status for figure in card.figures]

    # when
    response = staff_client.get(reverse("admin:index"))

    # then one row, the contract's, with its figures counted by status in words
    [row] = response.context["scorecards"]
    assert row.contract == f"{chain.contractor.name} – {chain.area.name}"
    assert (row.green, row.amber, row.red) == (
        statuses.count("green"),
        statuses.count("amber"),
        statuses.count("red"),
    )
    assert row.period_label == f"{year} Q{quarter}"
    html = response.content.decode()
    assert f"Scorecards of {year} Q{quarter}" in html
    assert f"{row.green} figure" in html and f"{row.red} off target" in html
    # and its link opens that contract's scorecard
    assert row.url == reverse("admin:surveys_contractscorecard_change", args=[chain.contract.pk])
    assert staff_client.get(row.url).status_code == 200
    # and another association's contract is a row for a superuser only
    everyone = english_client(superuser).get(reverse("admin:index")).context["scorecards"]
    assert {row.contract for row in everyone} == {
        f"{chain.contractor.name} – {chain.area.name}",
        f"{other_chain.contractor.name} – {other_chain.area.name}",
    }
    assert (
        staff_client.get(
            reverse("admin:surveys_contractscorecard_change", args=[other_chain.contract.pk])
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_without_a_contract_this_quarter_the_page_says_so(now, organisation, staff_client):
    # when
    response = staff_client.get(reverse("admin:index"))

    # then
    assert response.context["scorecards"] == []
    assert "No contract runs this quarter in your association." in response.content.decode()
