"""The staff's start page (the admin index): what needs them today, counted for their own
associations (every association for a superuser), each count linking to the admin list
filtered to exactly those rows.

It lives in surveys because it counts the data of every app below it: repairs (unrouted,
emergencies, late), surveys (grades to follow up), portal (imports) and outbox (messages).
Each count is one COUNT query on an index led by the association or by the condition, so
the page asks the same number of queries however many rows there are.

Below the counts: this quarter's area scorecard of each contract (surveys.scorecard), as one
row of how many figures are on target, just off and off target, linking to its scorecard.
The scorecards compute every figure with its trend over the past quarters (a few dozen
queries, the fee ledger of each quarter among them), so the rows are kept in the cache for
SCORECARD_CACHE_SECONDS per set of associations and quarter: the figures come from the
monthly rollup and the ledgers, which change slowly."""

import datetime
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from outbox.models import OutboxMessage
from portal.models import ImportJob, ImportStatus
from portal.scoping import ALL_ASSOCIATIONS, OrganisationScope, filter_by_scope
from repairs.lifecycle import Status
from repairs.models import RepairRequest
from repairs.selectors import emergency_unconfirmed, past_latest_completion

from .models import SurveyResponse
from .scorecard import contract_scorecards, current_period
from .services import FOLLOW_UP_GRADE

SCORECARD_CACHE_SECONDS = 600

# What the outbox's admin filter "failed, to be tried again" shows (portal.admin_outbox).
OUTBOX_FAILED = Q(sent_at__isnull=True, attempts__gt=0)


@dataclass(frozen=True)
class WorkKind:
    """One kind of work on the start page: which rows, and the admin list that shows them."""

    key: str
    label: str
    hint: str
    # the admin change list (url name) and the query string that filters it to these rows
    changelist: str
    params: dict[str, str]
    # the permission that lets a user open that list
    permission: str


@dataclass(frozen=True)
class WorkCount:
    key: str
    label: str
    hint: str
    count: int
    url: str


WORK_KINDS: tuple[WorkKind, ...] = (
    WorkKind(
        key="unrouted",
        label=_("Unrouted requests"),
        hint=_("No area covers the address: fix the postcode rules, then route again."),
        changelist="admin:repairs_unroutedrequest_changelist",
        params={},
        permission="repairs.view_unroutedrequest",
    ),
    WorkKind(
        key="emergency",
        label=_("Emergencies not confirmed by the contractor"),
        hint=_("Reported over two hours ago: call the contractor."),
        changelist="admin:repairs_repairrequest_changelist",
        params={"norm": "emergency"},
        permission="repairs.view_repairrequest",
    ),
    WorkKind(
        key="late",
        label=_("Late against the norm"),
        hint=_("Open past the latest completion the contract allows."),
        changelist="admin:repairs_repairrequest_changelist",
        params={"norm": "late"},
        permission="repairs.view_repairrequest",
    ),
    WorkKind(
        key="follow_up",
        label=_("Grades of 5 or lower to follow up"),
        hint=_("Call the tenant where they allowed it, then mark the grade as handled."),
        changelist="admin:surveys_followup_changelist",
        params={"handled": "open"},
        permission="surveys.view_followup",
    ),
    WorkKind(
        key="imports",
        label=_("Imports that failed"),
        hint=_("Read the message on the import, correct the file and upload it again."),
        changelist="admin:portal_importjob_changelist",
        params={"status__exact": ImportStatus.FAILED},
        permission="portal.view_importjob",
    ),
    WorkKind(
        key="outbox",
        label=_("Messages that failed to send"),
        hint=_("Tried again automatically; the last error says why."),
        changelist="admin:outbox_outboxmessage_changelist",
        params={"state": "failed"},
        permission="outbox.view_outboxmessage",
    ),
)


def work_rows(*, key: str, now: datetime.datetime) -> QuerySet:
    """The rows of one kind of work, of every association (scope them with filter_by_scope)."""
    if key == "unrouted":
        return RepairRequest.objects.filter(status=Status.UNROUTED)
    if key == "emergency":
        return RepairRequest.objects.filter(emergency_unconfirmed(now=now))
    if key == "late":
        return RepairRequest.objects.filter(past_latest_completion(now=now))
    if key == "follow_up":
        return SurveyResponse.objects.filter(
            overall_grade__lte=FOLLOW_UP_GRADE, follow_up_handled_at__isnull=True
        )
    if key == "imports":
        return ImportJob.objects.filter(status=ImportStatus.FAILED)
    if key == "outbox":
        return OutboxMessage.objects.filter(OUTBOX_FAILED)
    raise ValueError(key)


def staff_work_counts(
    *, scope: OrganisationScope, now: datetime.datetime, permissions: set[str] | None = None
) -> list[WorkCount]:
    """The counts of the start page for the associations in scope, in the page's order; a
    kind whose list the user may not open (`permissions` given, without its permission) is
    left out. One query per kind."""
    counts = []
    for kind in WORK_KINDS:
        if permissions is not None and kind.permission not in permissions:
            continue
        url = reverse(kind.changelist)
        if kind.params:
            url = f"{url}?{urlencode(kind.params)}"
        counts.append(
            WorkCount(
                key=kind.key,
                label=kind.label,
                hint=kind.hint,
                count=filter_by_scope(work_rows(key=kind.key, now=now), scope).count(),
                url=url,
            )
        )
    return counts


@dataclass(frozen=True)
class ScorecardRow:
    """One contract's scorecard of the quarter, in a line: how many figures are green (on
    target), amber (just off) and red (off target)."""

    contract: str
    organisation: str
    period_label: str
    green: int
    amber: int
    red: int
    url: str


def staff_scorecard_rows(*, scope: OrganisationScope, today: datetime.date) -> list[ScorecardRow]:
    """This quarter's scorecard of every contract in scope that runs in it, in the
    scorecard's order (association, contractor, area). The queries depend on the periods of
    the scorecard's trend, not on the number of contracts."""
    year, quarter = current_period(today)
    rows = []
    for card in contract_scorecards(organisation_ids=scope, year=year, quarter=quarter):
        statuses = Counter(figure.status for figure in card.figures)
        rows.append(
            ScorecardRow(
                contract=f"{card.contract.contractor.name} – {card.contract.area.name}",
                organisation=card.contract.organisation.name,
                period_label=card.period_label,
                green=statuses["green"],
                amber=statuses["amber"],
                red=statuses["red"],
                url=reverse("admin:surveys_contractscorecard_change", args=[card.contract.pk]),
            )
        )
    return rows


def staff_scorecard_rows_cached(
    *, scope: OrganisationScope, today: datetime.date
) -> list[ScorecardRow]:
    """staff_scorecard_rows, kept in the cache for SCORECARD_CACHE_SECONDS per set of
    associations and quarter."""
    year, quarter = current_period(today)
    associations = "all" if scope is ALL_ASSOCIATIONS else ",".join(map(str, sorted(scope)))
    return cache.get_or_set(
        f"staff-start-scorecards:{year}-{quarter}:{associations}",
        lambda: staff_scorecard_rows(scope=scope, today=today),
        SCORECARD_CACHE_SECONDS,
    )
