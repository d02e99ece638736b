import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.models import (
    Dwelling,
    DwellingType,
    Neighbourhood,
    Organisation,
    OrganisationQuerySet,
    inherit_organisation,
)
from portal.postcode import POSTCODE_PATTERN, format_postcode, normalise_postcode

KVK_PATTERN = r"^[0-9]{8}$"


class Contractor(models.Model):
    """A chain contractor; it may hold contracts with several associations, so belongs to none."""

    name = models.CharField(_("name"), max_length=200)
    kvk_number = models.CharField(
        _("KvK number"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(KVK_PATTERN, _("A KvK number has exactly 8 digits."))],
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone number"), max_length=30)

    class Meta:
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kvk_number__regex=KVK_PATTERN), name="contractor_kvk_8_digits"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ContractorRole(models.TextChoices):
    PLANNER = "planner", _("Planner")
    CRAFTSMAN = "craftsman", _("Craftsman")


class ContractorMembership(models.Model):
    """Makes a user a planner or craftsman of one contractor."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contractor_membership",
        verbose_name=_("user"),
    )
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("contractor"),
    )
    role = models.CharField(_("role"), max_length=12, choices=ContractorRole.choices)

    class Meta:
        verbose_name = _("contractor user")
        verbose_name_plural = _("contractor users")

    def __str__(self) -> str:
        return f"{self.user} – {self.contractor} ({self.get_role_display()})"


class Area(models.Model):
    """A work area (werkgebied) of one association, made of postcode rules."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="areas",
        verbose_name=_("housing association"),
    )
    name = models.CharField(_("name"), max_length=120)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="area_unique_name_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PostcodeRule(models.Model):
    """Puts postcodes in an area: a range of the four digits, or one full postcode."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="rules", verbose_name=_("area")
    )
    range_start = models.PositiveSmallIntegerField(
        _("from (4 digits)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1000), MaxValueValidator(9999)],
    )
    range_end = models.PositiveSmallIntegerField(
        _("to (4 digits)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1000), MaxValueValidator(9999)],
    )
    postcode = models.CharField(  # noqa: DJ001 - NULL keeps ranges out of the unique constraint
        _("full postcode"),
        max_length=6,
        null=True,
        blank=True,
        help_text=_("One full postcode such as 5611AB; it beats any range."),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("postcode rule")
        verbose_name_plural = _("postcode rules")
        ordering = ["range_start", "postcode"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        postcode__isnull=True,
                        range_start__isnull=False,
                        range_end__isnull=False,
                        range_start__gte=1000,
                        range_end__lte=9999,
                        range_start__lte=F("range_end"),
                    )
                    | Q(postcode__isnull=False, range_start__isnull=True, range_end__isnull=True)
                ),
                name="postcoderule_range_or_postcode",
            ),
            models.CheckConstraint(
                condition=Q(postcode__isnull=True) | Q(postcode__regex=POSTCODE_PATTERN),
                name="postcoderule_postcode_normalised",
            ),
            models.UniqueConstraint(
                fields=["organisation", "postcode"],
                condition=Q(postcode__isnull=False),
                name="postcoderule_unique_postcode_per_org",
                violation_error_message=_("This postcode already has a rule in this association."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "range_start", "range_end"], name="rule_org_range"
            ),
        ]

    def __str__(self) -> str:
        if self.postcode:
            return format_postcode(self.postcode)
        return f"{self.range_start}–{self.range_end}"

    def clean(self) -> None:
        super().clean()
        inherit_organisation(self, "area")
        if self.postcode:
            try:
                self.postcode = normalise_postcode(self.postcode)
            except ValidationError as error:
                raise ValidationError({"postcode": error.messages}) from error
            if self.range_start is not None or self.range_end is not None:
                raise ValidationError(
                    _("Give either a range of four digits or one full postcode, not both.")
                )
        else:
            self.postcode = None
            if self.range_start is None or self.range_end is None:
                raise ValidationError(
                    _("Give a range (from and to, four digits each) or one full postcode.")
                )
            if self.range_start > self.range_end:
                raise ValidationError(
                    {"range_end": _("The end of the range must not be below its start.")}
                )
        if self.organisation_id:
            clash = self.find_clash()
            if clash is not None:
                message = self.clash_message(clash)
                # A listed postcode clashes next to its field, which also keeps the unique
                # constraint from repeating the refusal in its own, vaguer words.
                raise ValidationError({"postcode": message} if self.postcode else message)

    def overlaps(self, other: "PostcodeRule") -> bool:
        if self.postcode or other.postcode:
            return bool(self.postcode) and self.postcode == other.postcode
        return self.range_start <= other.range_end and other.range_start <= self.range_end

    def find_clash(self) -> "PostcodeRule | None":
        others = PostcodeRule.objects.filter(organisation_id=self.organisation_id).select_related(
            "area"
        )
        if self.pk:
            others = others.exclude(pk=self.pk)
        if self.postcode:
            return others.filter(postcode=self.postcode).first()
        return others.filter(
            postcode__isnull=True, range_start__lte=self.range_end, range_end__gte=self.range_start
        ).first()

    def clash_message(self, clash: "PostcodeRule") -> str:
        if self.postcode:
            return _("Postcode %(postcode)s is already in area “%(area)s”.") % {
                "postcode": format_postcode(self.postcode),
                "area": clash.area,
            }
        return _("Range %(start)s–%(end)s overlaps range %(other)s of area “%(area)s”.") % {
            "start": self.range_start,
            "end": self.range_end,
            "other": clash,
            "area": clash.area,
        }


class DwellingArea(models.Model):
    """The area a dwelling's postcode falls in under its association's rules, stored so that
    routing and fees read it by key instead of matching every dwelling against the rules.

    Derived data: every dwelling has one row (area empty where no rule covers it), rewritten
    set-based in the transaction of each change to the rules or to dwellings
    (`contractors.services.dwelling_areas_refresh`, called from `contractors.receivers`), and
    rebuilt by `manage.py refresh_dwelling_areas`. Never edited by hand."""

    dwelling = models.OneToOneField(
        Dwelling,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="area_link",
        verbose_name=_("dwelling"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    area = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dwelling_links",
        verbose_name=_("area"),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("area of a dwelling")
        verbose_name_plural = _("areas of dwellings")
        indexes = [
            # An area's dwellings for its contract's fee, count and routing, read from the index.
            models.Index(fields=["area", "dwelling"], name="dwellingarea_area_dwelling"),
        ]

    def __str__(self) -> str:
        # Shown when a dwelling is deleted, as one of the rows that go with it.
        return str(self.area) if self.area_id else str(_("no area"))


class ContractQuerySet(OrganisationQuerySet):
    def valid_on(self, on_date) -> "ContractQuerySet":
        return self.filter(valid_from__lte=on_date).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=on_date)
        )


_PERCENT_TARGET = {
    "max_digits": 4,
    "decimal_places": 1,
    "null": True,
    "blank": True,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}

# The scorecard targets staff set on a contract (all optional).
TARGET_FIELDS = (
    "target_mean_grade",
    "target_low_grades_percent",
    "target_response_rate_percent",
    "target_first_time_fix_percent",
    "target_emergency_within_norm_percent",
    "target_repair_within_norm_percent",
    "target_lead_time_p90_hours",
    "target_appointments_kept_percent",
    "target_repeat_repairs_percent",
)


class Contract(models.Model):
    """A contractor's chain contract for one area: a fixed fee per dwelling per year."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("housing association"),
    )
    contractor = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("contractor")
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("area")
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Last day; empty for open-ended.")
    )
    fee_per_dwelling_year = models.DecimalField(
        _("fee per dwelling per year (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    sroi_pledge_percent = models.DecimalField(
        _("SROI pledge (% of fees)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    # Norm times per urgency (defaults of Dutch practice); repairs.norms turns them into a
    # request's deadlines when it is routed.
    emergency_on_site_hours = models.PositiveSmallIntegerField(
        _("emergency: on site within (hours)"),
        default=24,
        db_default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )
    appointment_working_days = models.PositiveSmallIntegerField(
        _("repair: visit within (working days)"),
        default=5,
        db_default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    completion_working_days = models.PositiveSmallIntegerField(
        _("repair: completed within (working days)"),
        default=10,
        db_default=10,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Working days skip weekends and Dutch public holidays."),
    )
    # Targets of the area scorecard (surveys.scorecard); empty: the figure is shown without a
    # judgement. Percentages are shares of 0-100, the grade is on the tenants' 1-10 scale.
    target_mean_grade = models.DecimalField(
        _("target: tenant grade at least"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))],
    )
    target_low_grades_percent = models.DecimalField(
        _("target: grades of 5 or lower at most (%)"), **_PERCENT_TARGET
    )
    target_response_rate_percent = models.DecimalField(
        _("target: survey response rate at least (%)"), **_PERCENT_TARGET
    )
    target_first_time_fix_percent = models.DecimalField(
        _("target: first-time fix at least (%)"), **_PERCENT_TARGET
    )
    target_emergency_within_norm_percent = models.DecimalField(
        _("target: emergencies within norm at least (%)"), **_PERCENT_TARGET
    )
    target_repair_within_norm_percent = models.DecimalField(
        _("target: other repairs within norm at least (%)"), **_PERCENT_TARGET
    )
    target_lead_time_p90_hours = models.PositiveIntegerField(
        _("target: lead time p90 at most (hours)"), null=True, blank=True
    )
    target_appointments_kept_percent = models.DecimalField(
        _("target: appointments kept at least (%)"), **_PERCENT_TARGET
    )
    target_repeat_repairs_percent = models.DecimalField(
        _("target: repeat repairs at most (%)"), **_PERCENT_TARGET
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["area__name", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="contract_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(fee_per_dwelling_year__gte=0), name="contract_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(sroi_pledge_percent__gte=0, sroi_pledge_percent__lte=100),
                name="contract_sroi_pledge_percentage",
            ),
            models.CheckConstraint(
                condition=Q(
                    emergency_on_site_hours__gte=1,
                    appointment_working_days__gte=1,
                    completion_working_days__gte=F("appointment_working_days"),
                ),
                name="contract_norms_ordered",
                violation_error_message=_(
                    "Norm times are at least 1, and completion is not before the visit."
                ),
            ),
        ]

    def __str__(self) -> str:
        until = self.valid_until.isoformat() if self.valid_until else "…"
        return f"{self.contractor} – {self.area} ({self.valid_from.isoformat()} – {until})"

    def clean(self) -> None:
        super().clean()
        inherit_organisation(self, "area")
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end date must not be before the start.")})
        if self.area_id and self.valid_from:
            clash = self.find_clash()
            if clash is not None:
                raise ValidationError(
                    _("Area “%(area)s” already has a contract on these dates: %(other)s.")
                    % {"area": self.area, "other": clash}
                )

    def find_clash(self) -> "Contract | None":
        others = Contract.objects.filter(area_id=self.area_id).select_related("contractor", "area")
        if self.pk:
            others = others.exclude(pk=self.pk)
        if self.valid_until:
            others = others.filter(valid_from__lte=self.valid_until)
        return others.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=self.valid_from)
        ).first()


class ContractTypeFee(models.Model):
    """A contract's fee for one dwelling type, instead of its general fee."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="type_fees", verbose_name=_("contract")
    )
    dwelling_type = models.CharField(_("dwelling type"), max_length=3, choices=DwellingType.choices)
    fee_per_dwelling_year = models.DecimalField(
        _("fee per dwelling per year (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("fee per dwelling type")
        verbose_name_plural = _("fees per dwelling type")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "dwelling_type"], name="contracttypefee_unique_type"
            ),
            models.CheckConstraint(
                condition=Q(fee_per_dwelling_year__gte=0), name="contracttypefee_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_dwelling_type_display()}: € {self.fee_per_dwelling_year}"

    def clean(self) -> None:
        super().clean()
        inherit_organisation(self, "contract")


class DaypartKind(models.TextChoices):
    MORNING = "morning", _("morning")
    AFTERNOON = "afternoon", _("afternoon")
    EVENING = "evening", _("evening")


# What a contractor gets until it sets its own hours.
DEFAULT_DAYPARTS = {
    DaypartKind.MORNING: (datetime.time(8), datetime.time(12)),
    DaypartKind.AFTERNOON: (datetime.time(12), datetime.time(17)),
}


class Daypart(models.Model):
    """A contractor's daypart (dagdeel) and its hours, e.g. morning 08:00–12:00."""

    contractor = models.ForeignKey(
        Contractor, on_delete=models.CASCADE, related_name="dayparts", verbose_name=_("contractor")
    )
    kind = models.CharField(_("daypart"), max_length=10, choices=DaypartKind.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("daypart")
        verbose_name_plural = _("dayparts")
        ordering = ["start_time"]
        constraints = [
            models.UniqueConstraint(fields=["contractor", "kind"], name="daypart_unique_kind"),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="daypart_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklySchedule(models.Model):
    """How many visits a contractor takes in an area on a weekday's daypart."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    contractor = models.ForeignKey(
        Contractor, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("contractor")
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("area")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    daypart = models.ForeignKey(
        Daypart, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("daypart")
    )
    capacity = models.PositiveSmallIntegerField(_("visits"))

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("weekly schedule")
        verbose_name_plural = _("weekly schedules")
        ordering = ["area", "weekday", "daypart__start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["contractor", "area", "weekday", "daypart"], name="schedule_unique_daypart"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="schedule_weekday_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.get_weekday_display()} {self.daypart}: {self.capacity}"

    def clean(self) -> None:
        super().clean()
        inherit_organisation(self, "area")


class Slot(models.Model):
    """A bookable daypart on one date: a number of visits a contractor takes in an area.

    `booked` counts the places taken: by visits, and by places a project keeps for its
    tenants (a project's reservation raises it by the places kept, and a tenant's booking
    turns one of them into a visit). It changes in the same transaction as the visit or the
    reservation, and never passes `capacity` (a database constraint)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    contractor = models.ForeignKey(
        Contractor, on_delete=models.CASCADE, related_name="slots", verbose_name=_("contractor")
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="slots", verbose_name=_("area")
    )
    daypart = models.ForeignKey(
        Daypart, on_delete=models.PROTECT, related_name="slots", verbose_name=_("daypart")
    )
    date = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    capacity = models.PositiveSmallIntegerField(_("visits"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    note = models.CharField(
        _("note"), max_length=120, blank=True, help_text=_("Why this day differs, e.g. a holiday.")
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contractor", "area", "date", "daypart"], name="slot_unique_daypart"
            ),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="slot_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(
                fields=["contractor", "area", "starts_at"], name="slot_contractor_area_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.daypart.get_kind_display()}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class FeeStatement(models.Model):
    """An issued fee statement: its lines are frozen, so later changes to dwellings, contracts
    or fees do not change it. A correction is a new statement that references the old one."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="fee_statements",
        verbose_name=_("housing association"),
    )
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"))
    total = models.DecimalField(_("total (€)"), max_digits=14, decimal_places=2)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects statement"),
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("fee statement")
        verbose_name_plural = _("fee statements")
        ordering = ["-period_start", "-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="feestatement_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        period = f"{self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"
        return f"{self.get_period_kind_display()} {period}"


class FeeStatementLine(models.Model):
    """One contract's line of an issued statement, with the figures as they were then."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    statement = models.ForeignKey(
        FeeStatement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("statement")
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="+", verbose_name=_("contract")
    )
    contractor_name = models.CharField(_("contractor"), max_length=200)
    area_name = models.CharField(_("area"), max_length=120)
    dwellings_start = models.PositiveIntegerField(_("dwellings at the start"))
    dwellings_end = models.PositiveIntegerField(_("dwellings at the end"))
    dwelling_days = models.PositiveIntegerField(_("dwelling-days"))
    fee_per_dwelling_year = models.DecimalField(
        _("fee per dwelling per year (€)"), max_digits=10, decimal_places=2
    )
    fee_note = models.CharField(_("fees per type"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount (€)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("fee statement line")
        verbose_name_plural = _("fee statement lines")
        ordering = ["contractor_name", "area_name"]

    def __str__(self) -> str:
        return f"{self.contractor_name} – {self.area_name}: € {self.amount}"


class SroiContribution(models.Model):
    """A social return a contractor gave, recorded by staff against its contract."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="sroi_contributions",
        verbose_name=_("contract"),
    )
    date = models.DateField(_("date"))
    neighbourhood = models.CharField(
        _("neighbourhood or area (as written)"),
        max_length=120,
        blank=True,
        default="",
        db_default="",
    )
    # The neighbourhood of the association's list the ledger totals by; the text above stays
    # as it was written (rows from before the list, or a place that is not a neighbourhood).
    buurt = models.ForeignKey(
        Neighbourhood,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sroi_contributions",
        verbose_name=_("neighbourhood"),
    )
    description = models.CharField(
        _("what"), max_length=200, help_text=_("For example: a playground.")
    )
    value = models.DecimalField(
        _("value (€)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    evidence = models.FileField(_("evidence (optional)"), upload_to="sroi/", blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("SROI contribution")
        verbose_name_plural = _("SROI contributions")
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="sroi_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.description}: € {self.value}"

    def clean(self) -> None:
        super().clean()
        inherit_organisation(self, "contract")
        if self.buurt_id and self.buurt.organisation_id != self.organisation_id:
            raise ValidationError({"buurt": _("Pick a neighbourhood of the same association.")})
        if not self.buurt_id and not self.neighbourhood:
            raise ValidationError({"buurt": _("Pick the neighbourhood the contribution went to.")})
