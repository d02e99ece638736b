"""Survey invitations, reminders, expiry and answers. Each mail goes out once: invitations
are pulled from completed requests (no signal), sent under a row lock and a unique mail key."""

import datetime

from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from outbox.handlers import outbox_handler
from outbox.services import outbox_add
from portal.errors import ApplicationError
from portal.mail import mail_send_once_many
from portal.selectors import staff_emails
from repairs.lifecycle import Status
from repairs.models import MaintenanceKind, RepairRequest
from repairs.notifications import tenant_email, tenant_language
from repairs.services import repair_request_reopen
from webhooks.models import EventType
from webhooks.services import webhook_event_emit

from .models import InvitationStatus, SurveyInvitation, SurveyResponse
from .rollup import kpi_months_mark_stale

REMINDER_AFTER = datetime.timedelta(days=3)
EXPIRES_AFTER = datetime.timedelta(days=14)
# Requests completed longer ago than this are not invited any more (e.g. after an outage).
INVITE_WITHIN = datetime.timedelta(days=14)
FOLLOW_UP_GRADE = 5


class SurveyUnavailable(ApplicationError):
    """extra['reason'] is 'unknown', 'answered' or 'expired'."""


def survey_invitations_create(*, now: datetime.datetime, limit: int = 2000) -> int:
    """Give every recently completed request its one invitation (the unique request column
    makes a second or concurrent run add nothing)."""
    completed = (
        RepairRequest.objects.filter(
            status=Status.COMPLETED,
            completed_at__gte=now - INVITE_WITHIN,
            contract__isnull=False,
            survey_invitation__isnull=True,
            # the repair survey asks about a repair: not about a visit of planned work
            maintenance_kind=MaintenanceKind.REPAIR,
        )
        .select_related("organisation", "contract", "reported_by", "tenancy__tenant")
        .order_by("completed_at")[:limit]
    )
    invitations = []
    for repair_request in completed:
        email = tenant_email(repair_request)
        if not email:
            continue
        delay = datetime.timedelta(hours=repair_request.organisation.survey_delay_hours)
        invitations.append(
            SurveyInvitation(
                organisation_id=repair_request.organisation_id,
                request=repair_request,
                contractor_id=repair_request.contractor_id,
                area_id=repair_request.contract.area_id,
                email=email,
                language=tenant_language(repair_request),
                due_at=repair_request.completed_at + delay,
            )
        )
    if not invitations:
        return 0
    SurveyInvitation.objects.bulk_create(invitations, ignore_conflicts=True)
    # bulk_create returns every object, also those a concurrent run had inserted first; the
    # fresh tokens tell which rows this run wrote.
    return SurveyInvitation.objects.filter(
        token__in=[invitation.token for invitation in invitations]
    ).count()


def _survey_mail(invitation: SurveyInvitation, *, build_url, reminder: bool) -> EmailMessage:
    repair_request = invitation.request
    organisation = repair_request.organisation
    with translation.override(invitation.language):
        link = build_url(reverse("survey_answer", args=[invitation.token]))
        context = {
            "organisation": organisation,
            "request": repair_request,
            "link": link,
            "reminder": reminder,
            "expires_at": invitation.expires_at,
        }
        subject = (
            _("Reminder: how did the repair go? (%(reference)s)")
            if reminder
            else _("How did the repair go? (%(reference)s)")
        ) % {"reference": repair_request.reference}
        return EmailMessage(
            subject=subject,
            body=render_to_string("surveys/mail/invitation.txt", context),
            from_email=organisation.mail_from or None,
            to=[invitation.email],
        )


# Invitations and reminders are claimed and mailed this many at a time: one transaction and
# one mail connection per batch. A run sends at most `limit` (2000 by default: well inside the
# task's time limit, so that a run is not stopped halfway through a batch).
BATCH_SIZE = 100


def _claim(batch_size: int, **filters) -> list[SurveyInvitation]:
    """Lock up to batch_size due invitations, skipping those another sender holds: two
    senders at once each take their own rows."""
    return list(
        SurveyInvitation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("request__organisation", "request__category")
        .filter(**filters)
        .order_by("due_at", "pk")[:batch_size]
    )


def _send_batch(
    *, filters: dict, kind: str, build_url, reminder: bool, update: dict, batch_size: int
) -> tuple[int, int]:
    """Claim one batch and mail it over one connection, in one transaction. Returns the
    number claimed and the number marked as mailed; a mail failure is raised after the
    mails that went out are committed."""
    with transaction.atomic():
        batch = _claim(batch_size, **filters)
        if not batch:
            return 0, 0
        mailed = mail_send_once_many(
            [
                (
                    f"survey-{kind}-{invitation.pk}",
                    lambda invitation=invitation: _survey_mail(
                        invitation, build_url=build_url, reminder=reminder
                    ),
                )
                for invitation in batch
            ]
        )
        done = set(mailed.done)
        marked = [i for i in batch if f"survey-{kind}-{i.pk}" in done]
        SurveyInvitation.objects.filter(pk__in=[i.pk for i in marked]).update(**update)
        if not reminder:
            for organisation_id in sorted({i.organisation_id for i in marked}):
                kpi_months_mark_stale(
                    organisation_id=organisation_id,
                    completed=[
                        i.request.completed_at
                        for i in marked
                        if i.organisation_id == organisation_id
                    ],
                )
    if mailed.error is not None:
        raise mailed.error
    return len(batch), len(marked)


def survey_invitations_send(
    *, now: datetime.datetime, build_url, limit: int = 2000, batch_size: int = BATCH_SIZE
) -> int:
    """Mail the invitations that are due, in batches; returns how many were sent."""
    sent = 0
    while sent < limit:
        claimed, marked = _send_batch(
            filters={"status": InvitationStatus.PENDING, "due_at__lte": now},
            kind="invitation",
            build_url=build_url,
            reminder=False,
            update={
                "status": InvitationStatus.SENT,
                "sent_at": now,
                "expires_at": now + EXPIRES_AFTER,
            },
            batch_size=min(batch_size, limit - sent),
        )
        sent += marked
        if claimed < batch_size:
            break
    return sent


def survey_reminders_send(
    *, now: datetime.datetime, build_url, limit: int = 2000, batch_size: int = BATCH_SIZE
) -> int:
    """Remind the tenants who have not answered after REMINDER_AFTER, once, in batches."""
    sent = 0
    while sent < limit:
        claimed, marked = _send_batch(
            filters={
                "status": InvitationStatus.SENT,
                "reminder_sent_at__isnull": True,
                "sent_at__lte": now - REMINDER_AFTER,
                "expires_at__gt": now,
            },
            kind="reminder",
            build_url=build_url,
            reminder=True,
            update={"reminder_sent_at": now},
            batch_size=min(batch_size, limit - sent),
        )
        sent += marked
        if claimed < batch_size:
            break
    return sent


def survey_invitations_expire(*, now: datetime.datetime) -> int:
    return SurveyInvitation.objects.filter(
        status=InvitationStatus.SENT, expires_at__lte=now
    ).update(status=InvitationStatus.EXPIRED)


def survey_invitation_for_token(token: str) -> SurveyInvitation:
    invitation = (
        SurveyInvitation.objects.select_related("request__organisation", "request__category")
        .filter(token=token)
        .first()
    )
    _check_open(invitation)
    return invitation


def _check_open(invitation: SurveyInvitation | None) -> None:
    if invitation is None or invitation.status == InvitationStatus.PENDING:
        raise SurveyUnavailable(_("We do not know this link."), extra={"reason": "unknown"})
    if invitation.status == InvitationStatus.ANSWERED:
        raise SurveyUnavailable(
            _("This survey has been answered already. Thank you!"), extra={"reason": "answered"}
        )
    if invitation.status == InvitationStatus.EXPIRED or (
        invitation.expires_at and invitation.expires_at <= timezone.now()
    ):
        raise SurveyUnavailable(
            _("This survey has closed: answers are possible for 14 days."),
            extra={"reason": "expired"},
        )


@transaction.atomic
def survey_answer(
    *,
    token: str,
    overall_grade: int,
    fixed_first_time: bool | None,
    on_time: bool | None,
    craftsman_grade: int | None,
    comment: str,
    may_contact: bool,
    problem_solved: bool | None = None,
    still_wrong: str = "",
) -> SurveyResponse:
    """Store the one answer of an invitation; a low grade alerts the association's staff, and
    "not solved" reopens the request at its contractor (once: the invitation is answered once,
    and the request is reopened only while it is completed)."""
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("request")
        .filter(token=token)
        .first()
    )
    _check_open(invitation)
    response = SurveyResponse.objects.create(
        organisation_id=invitation.organisation_id,
        invitation=invitation,
        contractor_id=invitation.contractor_id,
        area_id=invitation.area_id,
        problem_solved=problem_solved,
        overall_grade=overall_grade,
        fixed_first_time=fixed_first_time,
        on_time=on_time,
        craftsman_grade=craftsman_grade,
        comment=comment,
        may_contact=may_contact,
    )
    invitation.status = InvitationStatus.ANSWERED
    invitation.save(update_fields=["status"])
    kpi_months_mark_stale(
        organisation_id=invitation.organisation_id, completed=[invitation.request.completed_at]
    )
    if overall_grade <= FOLLOW_UP_GRADE:
        follow_up_alert_queue(response)
    if problem_solved is False and invitation.request.status == Status.COMPLETED:
        # The tenant behind the token; what they wrote as still wrong goes to the contractor,
        # their grades and comment stay anonymous.
        repair_request_reopen(
            repair_request=invitation.request,
            reason=still_wrong or _("Not solved, says the tenant in the survey."),
            by=invitation.request.reported_by,
        )
    # The grade only: no comment, nothing of the tenant.
    webhook_event_emit(
        event_type=EventType.SURVEY_GRADED,
        organisation_id=invitation.organisation_id,
        contractor_id=invitation.contractor_id,
        subject_id=invitation.request_id,
        data={
            "order_id": invitation.request_id,
            "reference": invitation.request.reference,
            "grade": overall_grade,
        },
        event_id=f"survey-{response.pk}",
    )
    return response


def follow_up_alert_key(response_id: int) -> str:
    return f"follow-up-alert-{response_id}"


def follow_up_alert_queue(response: SurveyResponse, *, send_after_commit: bool = True):
    """Queue the staff alert about a low grade in the caller's transaction (once)."""
    return outbox_add(
        key=follow_up_alert_key(response.pk),
        handler=follow_up_alert_send,
        payload={"response_id": response.pk},
        organisation_id=response.organisation_id,
        send_after_commit=send_after_commit,
    )


@outbox_handler("surveys.follow_up_alert")
@transaction.atomic
def follow_up_alert_send(*, response_id: int) -> bool:
    """Mail staff about a grade of 5 or lower, once; contact details only with consent."""
    response = (
        SurveyResponse.objects.select_for_update(of=("self",))
        .select_related(
            "invitation__request__dwelling", "invitation__request__reported_by", "contractor"
        )
        .filter(
            pk=response_id,
            overall_grade__lte=FOLLOW_UP_GRADE,
            follow_up_alert_sent_at__isnull=True,
        )
        .first()
    )
    if response is None:
        return False
    recipients = staff_emails(organisation_id=response.organisation_id)
    if recipients:
        repair_request = response.invitation.request
        with translation.override("nl"):
            send_mail(
                # Which repair only with the tenant's consent: otherwise the answer is anonymous.
                subject=(
                    _("Low grade %(grade)d for repair %(reference)s")
                    % {"grade": response.overall_grade, "reference": repair_request.reference}
                    if response.may_contact
                    else _("Low grade %(grade)d for %(contractor)s (anonymous)")
                    % {"grade": response.overall_grade, "contractor": response.contractor.name}
                ),
                message=render_to_string(
                    "surveys/mail/follow_up_alert.txt",
                    {"response": response, "request": repair_request},
                ),
                from_email=None,
                recipient_list=recipients,
            )
    response.follow_up_alert_sent_at = timezone.now()
    response.save(update_fields=["follow_up_alert_sent_at"])
    return True


def follow_ups_unalerted():
    return SurveyResponse.objects.filter(
        overall_grade__lte=FOLLOW_UP_GRADE, follow_up_alert_sent_at__isnull=True
    )


@transaction.atomic
def follow_up_mark_handled(*, response_ids, actor) -> int:
    return (
        SurveyResponse.objects.filter(pk__in=response_ids, follow_up_handled_at__isnull=True)
        .filter(Q(overall_grade__lte=FOLLOW_UP_GRADE))
        .update(follow_up_handled_at=timezone.now(), follow_up_handled_by=actor)
    )
