"""The demo looks like a chain that has been running for a year, whenever it is written: the
SROI ledger has a year of contributions, old requests are planned or closed, and nothing
happened after today (.ci/run runs these at fixed clocks too: a Sunday morning of the
change to summer time, a Tuesday noon, a Wednesday night)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from contractors.models import Contract, SroiContribution
from contractors.sroi import ledger
from demo.due_visits import DESCRIPTION as DUE_VISIT_DESCRIPTION
from demo.world import NEW_FOR_DAYS
from portal.scoping import ALL_ASSOCIATIONS
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairEvent, RepairRequest
from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

# A request reported longer ago than this is planned or closed; only the unrouted one (staff
# act on it) may wait.
NEW_AT_MOST_DAYS = 14


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data, written once for this module's tests and removed afterwards."""
    with django_db_blocker.unblock():
        from django.db import connection, transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("demo_data", stdout=io.StringIO())
            yield timezone.now()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.close()


def months_back(today: datetime.date, count: int) -> list[tuple[int, int]]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def test_the_sroi_ledger_has_a_year_of_contributions(demo):
    # given the demo data
    today = timezone.localdate()
    year_ago = today - datetime.timedelta(days=365)
    contributions = SroiContribution.objects.filter(date__gt=year_ago, date__lte=today)

    # then every current contract has contributions spread over the past twelve months
    contracts = Contract.objects.valid_on(today)
    assert contracts.count() >= 3
    for contract in contracts:
        own = contributions.filter(contract=contract, organisation_id=contract.organisation_id)
        assert own.count() >= 4, contract
    months = {(c.date.year, c.date.month) for c in contributions}
    assert len(months & set(months_back(today, 12))) >= 9
    # and none is dated after today
    assert not SroiContribution.objects.filter(date__gt=today).exists()
    # and the ledger of the last twelve months shows them against the pledges: most contracts
    # on track, a contract behind
    rows = [
        row
        for year in {year_ago.year, today.year}
        for row in ledger(organisation_ids=ALL_ASSOCIATIONS, year=year)
    ]
    assert sum(row.contributed for row in rows) > 0
    this_year = ledger(organisation_ids=ALL_ASSOCIATIONS, year=today.year)
    if today.timetuple().tm_yday > 60:
        assert all(row.contributed > 0 for row in this_year)
        assert any(row.behind for row in this_year)
        assert any(not row.behind for row in this_year)


def test_no_request_older_than_two_weeks_is_still_waiting(demo):
    # given the demo data
    long_ago = timezone.now() - datetime.timedelta(days=NEW_AT_MOST_DAYS)
    planned = Appointment.objects.filter(
        request_id=OuterRef("pk"), status=AppointmentStatus.PLANNED
    )

    # then every request reported before then is planned or closed
    waiting = RepairRequest.objects.filter(
        created_at__lt=long_ago,
        status__in=[Status.SUBMITTED, Status.ROUTED, Status.FOLLOW_UP],
    ).exclude(Exists(planned))
    assert list(waiting.values_list("reference", "status", "created_at")) == []
    # and a scheduled request has its visit planned from today on (each contractor's visit
    # to record now is of a daypart that has begun: early in the morning, yesterday's last)
    today_start = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time.min)
    )
    scheduled = RepairRequest.objects.filter(status=Status.SCHEDULED)
    for repair_request in scheduled.exclude(description=DUE_VISIT_DESCRIPTION):
        visit = repair_request.appointments.get(status=AppointmentStatus.PLANNED)
        assert visit.starts_at >= today_start, repair_request.reference
    # and there is still fresh work: the planner's new requests, and the unrouted one
    assert RepairRequest.objects.filter(status=Status.ROUTED).exclude(Exists(planned)).exists()
    assert RepairRequest.objects.filter(status=Status.UNROUTED).count() == 1
    # (the demo's reports lie in this year, so in its first days all of them are new)
    if timezone.localdate().timetuple().tm_yday > NEW_FOR_DAYS + 1:
        assert RepairRequest.objects.filter(status=Status.SCHEDULED).exists()


def test_nothing_in_the_demo_happened_after_now(demo):
    # given the demo data, written at `demo`
    now = demo

    # then no survey was sent, reminded, answered or followed up after now
    invitations = SurveyInvitation.objects.all()
    assert invitations.exists()
    assert not invitations.filter(
        Q(due_at__gt=now) | Q(sent_at__gt=now) | Q(reminder_sent_at__gt=now)
    ).exists()
    assert not invitations.filter(status=InvitationStatus.EXPIRED, expires_at__gt=now).exists()
    assert not invitations.filter(status=InvitationStatus.SENT, expires_at__lte=now).exists()
    responses = SurveyResponse.objects.all()
    assert responses.exists()
    assert not responses.filter(
        Q(answered_at__gt=now)
        | Q(follow_up_alert_sent_at__gt=now)
        | Q(follow_up_handled_at__gt=now)
    ).exists()
    # and no repair was reported, completed or visited after now
    assert not RepairRequest.objects.filter(
        Q(created_at__gt=now) | Q(completed_at__gt=now) | Q(routed_at__gt=now)
    ).exists()
    assert not RepairEvent.objects.filter(created_at__gt=now).exists()
    assert not Appointment.objects.filter(recorded_at__gt=now).exists()
    assert not Appointment.objects.filter(status=AppointmentStatus.DONE, starts_at__gt=now).exists()
