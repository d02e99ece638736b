import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contractors.models import Area, Contract, Contractor
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
    # The first question; "No" reopened the request (repairs.services.repair_request_reopen).
    problem_solved = models.BooleanField(_("problem solved"), null=True, blank=True)
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
        indexes = [
            # The start page's count and the follow-up list's open grades
            # (services.FOLLOW_UP_GRADE): a few rows of the association, not all its answers.
            models.Index(
                fields=["organisation", "-answered_at"],
                condition=Q(overall_grade__lte=5, follow_up_handled_at__isnull=True),
                name="response_follow_up_open",
            ),
        ]
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
        # Not the invitation's id: that leads to the request, which an anonymous answer hides.
        return _("Grade %(grade)d (answer %(number)s)") % {
            "grade": self.overall_grade,
            "number": self.pk,
        }

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


class ContractScorecard(Contract):
    """The area scorecard's place in the admin: a contract's figures per quarter or year
    (surveys.scorecard)."""

    class Meta:
        proxy = True
        verbose_name = _("area scorecard")
        verbose_name_plural = _("area scorecards")


class KpiMonth(models.Model):
    """The KPI figures of one contract in one month (Amsterdam time), kept by a periodic task.

    Only additive parts are stored (counts and sums), so rates and means can be recombined
    over months, contractors and areas. Percentiles cannot be summed: the month's lead times
    are kept sorted (seconds, float64 little-endian) so that several rows combine into exact
    percentiles; the row's own median and 90th percentile are stored beside them, so a
    dashboard whose rows are single contracts never reads the list."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # led by the (organisation, month) index
        verbose_name=_("housing association"),
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="+", verbose_name=_("contract")
    )
    # The contract's contractor and area, copied so the dashboard filters without a join.
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # led by the (contractor, month) index
        verbose_name=_("contractor"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("area")
    )
    month = models.DateField(_("month"))
    completed = models.PositiveIntegerField(_("completed"), default=0)
    first_time_fixes = models.PositiveIntegerField(_("first-time fixes"), default=0)
    lead_times = models.BinaryField(_("lead times (s)"), default=bytes)
    lead_median_seconds = models.FloatField(_("lead time median (s)"), null=True)
    lead_p90_seconds = models.FloatField(_("lead time p90 (s)"), null=True)
    emergencies = models.PositiveIntegerField(_("emergencies"), default=0)
    emergencies_within_24h = models.PositiveIntegerField(_("emergencies within 24 h"), default=0)
    invitations_sent = models.PositiveIntegerField(_("invitations sent"), default=0)
    responses = models.PositiveIntegerField(_("responses"), default=0)
    grade_sum = models.PositiveIntegerField(_("sum of grades"), default=0)
    grades_8_plus = models.PositiveIntegerField(_("grades of 8 or more"), default=0)
    grades_5_or_lower = models.PositiveIntegerField(_("grades of 5 or lower"), default=0)
    visits_due = models.PositiveIntegerField(_("visits due"), default=0)
    visits_kept = models.PositiveIntegerField(_("visits kept"), default=0)
    no_access_visits = models.PositiveIntegerField(_("no-access visits"), default=0)
    emergencies_with_norm = models.PositiveIntegerField(
        _("emergencies with a norm"), default=0, db_default=0
    )
    emergencies_within_norm = models.PositiveIntegerField(
        _("emergencies within norm"), default=0, db_default=0
    )
    repairs_with_norm = models.PositiveIntegerField(
        _("repairs with a norm"), default=0, db_default=0
    )
    repairs_within_norm = models.PositiveIntegerField(
        _("repairs within norm"), default=0, db_default=0
    )
    repeat_repairs = models.PositiveIntegerField(_("repeat repairs"), default=0, db_default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("KPI month")
        verbose_name_plural = _("KPI months")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "contract", "month"], name="kpimonth_one_per_contract"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "month"], name="kpimonth_organisation_month"),
            models.Index(fields=["contractor", "month"], name="kpimonth_contractor_month"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.month:%Y-%m}"


class KpiMonthStale(models.Model):
    """A month of an association whose KPI rows must be computed again, written in the
    transaction of a survey change (an invitation sent, an answer) for the month its request
    was completed in. Rows are only added and removed, never updated, so writing one never
    waits on a refresh that is running."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("housing association"),
    )
    month = models.DateField(_("month"))
    marked_at = models.DateTimeField(_("marked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("KPI month to refresh")
        verbose_name_plural = _("KPI months to refresh")

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.month:%Y-%m}"
