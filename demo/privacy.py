"""A former tenant's data anonymised under the association's retention (AVG), in the demo.

One tenancy of De Kempen that ended over its retention period ago (two years by default)
gets the repairs its tenant reported in their last year there, one with an answered survey,
and the account they claimed; then it is anonymised through the privacy service
(`privacy.services.tenancies_anonymise`), for this tenancy alone. The nightly retention sweep
does the same for every tenancy past retention; calling it here would also anonymise every
other old tenancy the demo holds, which this demo leaves for the sweep to show.

Staff find it under "Tenants' data" by its contract number, marked Anonymised: the rows stay
(dates, statuses, the grade), the texts, the contact details and the account are gone. A
second run finds the anonymised tenancy with its repairs and does nothing."""

import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from contractors.models import Daypart
from contractors.routing import route
from contractors.services import local_datetime
from portal.models import Organisation, Tenancy, User
from privacy.services import retention_cutoff, tenancies_anonymise
from repairs.models import RepairCategory, RepairRequest, VisitOutcome
from surveys.models import InvitationStatus

from .records import PastAnswer, PastSurvey, PastVisit, past_repair_write
from .world import UNCOVERED_REFERENCE

SLUG = "dekempen"
FORMER_TENANT = ("r.visser@example.nl", "Rob", "Visser")
# Days before the tenancy ended that each repair was reported; what the tenant wrote.
REPAIRS = (
    (
        240,
        "De kraan in de badkamer druppelt, ook als hij dicht is.",
        "Sleutel ligt bij de buren op nummer 12.",
    ),
    (90, "De achterdeur sluit niet meer, het slot hapert.", "Graag na 10 uur, ik werk 's nachts."),
)
SURVEY_COMMENT = "Snel en netjes gerepareerd. De monteur belde vooraf, dat was fijn."


def _with_repairs():
    return Exists(RepairRequest.objects.filter(tenancy_id=OuterRef("pk")))


def demo_anonymised_tenancy(organisation: Organisation) -> Tenancy | None:
    """The demo's former tenancy anonymised with its repairs, once written."""
    return (
        Tenancy.objects.filter(organisation=organisation, anonymised_at__isnull=False)
        .filter(_with_repairs())
        .order_by("pk")
        .first()
    )


def _former_tenancy(organisation: Organisation, today: datetime.date) -> Tenancy | None:
    """The tenancy past retention that ended last, of a dwelling still let and covered by a
    contract, that ran at least a year and was never claimed: always the same for a day."""
    return (
        Tenancy.objects.filter(
            organisation=organisation,
            anonymised_at__isnull=True,
            tenant__isnull=True,
            end_date__lt=retention_cutoff(organisation=organisation, today=today),
            start_date__lte=F("end_date") - datetime.timedelta(days=365),
            dwelling__in_portfolio_until__isnull=True,
        )
        .exclude(dwelling__reference=UNCOVERED_REFERENCE)
        .exclude(_with_repairs())
        .select_related("dwelling")
        .order_by("-end_date", "pk")
        .first()
    )


@transaction.atomic
def demo_privacy_write(*, now: datetime.datetime | None = None) -> Tenancy | None:
    """Write the former tenant's repairs and anonymise their tenancy; the tenancy (None
    without the association or a tenancy to use). A second run changes nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    organisation = Organisation.objects.filter(slug=SLUG).first()
    if organisation is None:
        return None
    done = demo_anonymised_tenancy(organisation)
    if done is not None:
        return done
    tenancy = _former_tenancy(organisation, today)
    contract = route(tenancy.dwelling, today) if tenancy is not None else None
    if contract is None:
        return None
    email, first_name, last_name = FORMER_TENANT
    tenant = User.objects.create_user(
        email=email, password=None, first_name=first_name, last_name=last_name
    )
    claimed_at = local_datetime(tenancy.start_date + datetime.timedelta(days=30), datetime.time(20))
    Tenancy.objects.filter(pk=tenancy.pk).update(tenant=tenant, email=email, claimed_at=claimed_at)
    tenancy.refresh_from_db()
    categories = list(
        RepairCategory.objects.filter(
            organisation=organisation, is_emergency=False, responsibility="landlord"
        ).order_by("pk")[: len(REPAIRS)]
    )
    daypart = Daypart.objects.filter(contractor_id=contract.contractor_id).order_by("pk").first()
    for number, ((days_before, description, access_notes), category) in enumerate(
        zip(REPAIRS, categories, strict=True)
    ):
        reported = local_datetime(
            tenancy.end_date - datetime.timedelta(days=days_before), datetime.time(8, 45)
        )
        visit_day = reported.date() + datetime.timedelta(days=3)
        fixed = local_datetime(visit_day, daypart.start_time) + datetime.timedelta(hours=1)
        survey = None
        if number == 0:
            sent = fixed + datetime.timedelta(hours=organisation.survey_delay_hours)
            survey = PastSurvey(
                status=InvitationStatus.ANSWERED,
                due_at=sent,
                sent_at=sent,
                expires_at=sent + datetime.timedelta(days=14),
                answer=PastAnswer(
                    overall_grade=8,
                    fixed_first_time=True,
                    on_time=True,
                    craftsman_grade=9,
                    comment=SURVEY_COMMENT,
                    may_contact=True,
                    answered_at=sent + datetime.timedelta(hours=5),
                ),
            )
        repair_request = past_repair_write(
            contract=contract,
            dwelling=tenancy.dwelling,
            tenancy=tenancy,
            category=category,
            reported_at=reported,
            description=description,
            completed_at=fixed,
            first_time_fix=True,
            visits=[
                PastVisit(
                    date=visit_day, daypart=daypart, outcome=VisitOutcome.FIXED, recorded_at=fixed
                )
            ],
            survey=survey,
        )
        RepairRequest.objects.filter(pk=repair_request.pk).update(
            access_notes=access_notes, contact_phone="06 41 52 63 74"
        )
    tenancies_anonymise(tenancy_ids=[tenancy.pk], now=now)
    tenancy.refresh_from_db()
    return tenancy
