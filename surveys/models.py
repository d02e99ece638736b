import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contractors.models import Area, Contractor
from portal.models import Organisation, OrganisationQuerySet
from repairs.models import RepairRequest


def new_token() -> str:
    return secrets.token_urlsafe(32)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")


class SurveyInvitation(models.Model):
    """The one invitation a completed request gets; the link's token needs no login.

    Sent by the portal, never through the contractor (the Aedes benchmark's rule)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    request = models.OneToOneField(
        RepairRequest,
        on_delete=models.CASCADE,
        related_name="survey_invitation",
        verbose_name=_("repair request"),
    )
    contractor = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, related_name="+", verbose_name=_("contractor")
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    email = models.EmailField(_("sent to"))
    language = models.CharField(_("language"), max_length=8, default="nl")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    due_at = models.DateTimeField(_("send at"), db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-due_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="invitation_status_due")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.get_status_display()}"


class SurveyResponse(models.Model):
    """A tenant's answer. Anonymous towards the contractor unless may_contact is given."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    invitation = models.OneToOneField(
        SurveyInvitation,
        on_delete=models.CASCADE,
        related_name="response",
        verbose_name=_("invitation"),
    )
    contractor = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, related_name="+", verbose_name=_("contractor")
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    overall_grade = models.PositiveSmallIntegerField(
        _("overall grade"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    fixed_first_time = models.BooleanField(_("fixed in one visit"), null=True, blank=True)
    on_time = models.BooleanField(_("came at the agreed time"), null=True, blank=True)
    craftsman_grade = models.PositiveSmallIntegerField(
        _("grade for the craftsman"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    may_contact = models.BooleanField(_("may be contacted"), default=False)
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True, db_index=True)
    follow_up_handled_at = models.DateTimeField(_("follow-up handled at"), null=True, blank=True)
    follow_up_handled_by = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    follow_up_alert_sent_at = models.DateTimeField(_("staff alerted at"), null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-answered_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall_grade__gte=1, overall_grade__lte=10),
                name="response_overall_grade_1_10",
            ),
            models.CheckConstraint(
                condition=Q(craftsman_grade__isnull=True)
                | Q(craftsman_grade__gte=1, craftsman_grade__lte=10),
                name="response_craftsman_grade_1_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id}: {self.overall_grade}"

    @property
    def needs_follow_up(self) -> bool:
        return self.overall_grade <= 5

    def contact_details(self) -> str:
        """The tenant's name, e-mail and phone, only when they agreed to be contacted.

        Staff read this in the follow-up list and the alert mail; without consent the
        answer stays anonymous."""
        if not self.may_contact:
            return ""
        repair_request = self.invitation.request
        tenant = repair_request.reported_by
        name = tenant.get_full_name() if tenant else ""
        phone = repair_request.contact_phone or (tenant.phone if tenant else "")
        return " · ".join(part for part in (name, self.invitation.email, phone) if part)


class FollowUp(SurveyResponse):
    """Low grades (5 or lower) that staff follow up; a list of its own in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("grade to follow up")
        verbose_name_plural = _("grades to follow up")


class KpiDashboard(SurveyResponse):
    """The KPI dashboard's place in the admin (its list page is the dashboard)."""

    class Meta:
        proxy = True
        verbose_name = _("KPI dashboard")
        verbose_name_plural = _("KPI dashboard")
