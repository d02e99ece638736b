"""Planned maintenance and renovation projects (VERA ONDERHOUDSOORT PLN / PRJ) over a set of
dwellings: the tenants are invited, pick a visit from capacity the contractor keeps for the
project, or send a question or objection. Each booked visit is an ordinary order in repairs
(a RepairRequest of the project's kind with its Appointment), so the contractor plans and
records it like any other and the tenant gets the usual confirmation."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contractors.models import Contract, Contractor, Slot
from portal.models import (
    Dwelling,
    Organisation,
    OrganisationQuerySet,
    Tenancy,
    inherit_organisation,
)
from portal.postcode import normalise_postcode
from repairs.models import MaintenanceKind, RepairCategory, RepairRequest


class ProjectScope(models.TextChoices):
    COMPLEX = "complex", _("A complex (its complex code)")
    STREET = "street", _("A street and house-number range")
    LIST = "list", _("An uploaded list of dwellings")


class ProjectKind(models.TextChoices):
    """The two kinds of work of MaintenanceKind a project can be."""

    PLANNED = MaintenanceKind.PLANNED.value, MaintenanceKind.PLANNED.label
    PROJECT = MaintenanceKind.PROJECT.value, MaintenanceKind.PROJECT.label


class ProjectQuerySet(OrganisationQuerySet):
    def for_contractor(self, contractor: Contractor | int) -> "ProjectQuerySet":
        return self.filter(contractor=contractor)

    def with_progress(self) -> "ProjectQuerySet":
        """Each project with its count of dwellings per state, in one aggregate."""
        return self.annotate(
            invited_count=Count("dwellings", filter=Q(dwellings__invited_at__isnull=False)),
            booked_count=Count("dwellings", filter=Q(dwellings__status=DwellingStatus.BOOKED)),
            done_count=Count("dwellings", filter=Q(dwellings__status=DwellingStatus.DONE)),
            objected_count=Count("dwellings", filter=Q(dwellings__status=DwellingStatus.OBJECTED)),
            no_answer_count=Count(
                "dwellings",
                filter=Q(
                    dwellings__status=DwellingStatus.INVITED,
                    dwellings__invited_at__isnull=False,
                    dwellings__responded_at__isnull=True,
                ),
            ),
        )


class Project(models.Model):
    """Planned maintenance or a renovation over a set of dwellings of one association, carried
    out by a chain contractor under one of the association's contracts."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("housing association"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind of work (VERA onderhoudssoort)"),
        max_length=3,
        choices=ProjectKind.choices,
        default=ProjectKind.PLANNED,
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("contract"),
        help_text=_("The chain contract the contractor carries out the work under."),
    )
    # Copied from the contract when saved: the contractor's pages filter by it directly.
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("contractor"),
        editable=False,
    )
    category = models.ForeignKey(
        RepairCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category of the visits"),
        help_text=_("Empty: the association's category “Planned maintenance” (made when needed)."),
    )
    scope = models.CharField(
        _("dwellings"), max_length=10, choices=ProjectScope.choices, default=ProjectScope.STREET
    )
    complex_code = models.CharField(
        _("complex code"),
        max_length=30,
        blank=True,
        help_text=_("For a complex: the dwellings of its common areas with this complex code."),
    )
    street = models.CharField(_("street"), max_length=120, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    house_number_from = models.PositiveIntegerField(_("from house number"), null=True, blank=True)
    house_number_to = models.PositiveIntegerField(_("to house number"), null=True, blank=True)
    starts_on = models.DateField(_("first day of the work"))
    ends_on = models.DateField(_("last day of the work"))
    visit_minutes = models.PositiveSmallIntegerField(_("visit per dwelling (minutes)"), default=120)
    letter = models.TextField(
        _("letter to the tenants"),
        help_text=_("What is done and why; the mail and the tenant's project page show it."),
    )
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    invited_at = models.DateTimeField(_("tenants invited at"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
        help_text=_("Set when closed or over: unused reserved places went back to the contractor."),
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="project_dates_ordered",
                violation_error_message=_("The last day must not be before the first."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ProjectKind.values), name="project_kind_planned_work"
            ),
            models.CheckConstraint(
                condition=Q(visit_minutes__gte=15), name="project_visit_at_least_15_minutes"
            ),
        ]
        indexes = [
            models.Index(fields=["contractor", "-starts_on"], name="project_contractor_start"),
            models.Index(fields=["organisation", "-starts_on"], name="project_org_start"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.contract_id is not None:
            self.contractor_id = self.contract.contractor_id
            if kwargs.get("update_fields") is not None and "contract" in kwargs["update_fields"]:
                kwargs["update_fields"] = {*kwargs["update_fields"], "contractor"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("project_page", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        inherit_organisation(self, "contract")
        if self.category_id is not None and self.category.organisation_id != self.organisation_id:
            raise ValidationError({"category": _("Choose a category of this association.")})
        errors = {}
        if self.scope == ProjectScope.COMPLEX and not self.complex_code.strip():
            errors["complex_code"] = _("Enter the complex code of the dwellings.")
        if self.scope == ProjectScope.STREET:
            if not self.postcode:
                errors["postcode"] = _("Enter the postcode of the street.")
            else:
                try:
                    self.postcode = normalise_postcode(self.postcode)
                except ValidationError as error:
                    errors["postcode"] = error.messages
            if (
                self.house_number_from is not None
                and self.house_number_to is not None
                and self.house_number_to < self.house_number_from
            ):
                errors["house_number_to"] = _("The last house number is below the first.")
        if errors:
            raise ValidationError(errors)


class DwellingStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    BOOKED = "booked", _("Visit booked")
    DONE = "done", _("Done")
    OBJECTED = "objected", _("Objected")


class ResponseKind(models.TextChoices):
    QUESTION = "question", _("A question")
    OBJECTION = "objection", _("An objection: I do not want the work")


class ProjectDwelling(models.Model):
    """One dwelling of a project: its tenancy when invited, and how far it is."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="dwellings", verbose_name=_("project")
    )
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="project_rows", verbose_name=_("dwelling")
    )
    tenancy = models.ForeignKey(
        Tenancy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tenancy when invited"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DwellingStatus.choices, default=DwellingStatus.INVITED
    )
    response_kind = models.CharField(
        _("tenant's answer"), max_length=10, choices=ResponseKind.choices, blank=True
    )
    response_text = models.TextField(_("question or objection"), blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    # Read by the periodic reminder: set when invited, the reminder goes once (reminded_at).
    reminder_due_at = models.DateTimeField(_("reminder due at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    request = models.OneToOneField(
        RepairRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_dwelling",
        verbose_name=_("order of the visit"),
    )

    class Meta:
        verbose_name = _("project dwelling")
        verbose_name_plural = _("project dwellings")
        ordering = ["project", "dwelling__postcode", "dwelling__house_number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "dwelling"], name="projectdwelling_once_per_project"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DwellingStatus.values), name="projectdwelling_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="projectdwelling_project_status"),
            models.Index(
                fields=["reminder_due_at"],
                condition=Q(status="invited", reminded_at__isnull=True, responded_at__isnull=True),
                name="projectdwelling_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.dwelling_id}"


class ProjectSlot(models.Model):
    """Places of a contractor's daypart kept for a project: `reserved` of the slot's booked
    places belong to the project; each tenant's booking uses one."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="slots", verbose_name=_("project")
    )
    slot = models.ForeignKey(
        Slot,
        on_delete=models.PROTECT,
        related_name="project_reservations",
        verbose_name=_("daypart"),
    )
    reserved = models.PositiveSmallIntegerField(_("visits reserved"))
    used = models.PositiveSmallIntegerField(_("visits booked"), default=0)

    class Meta:
        verbose_name = _("reserved daypart")
        verbose_name_plural = _("reserved dayparts")
        ordering = ["slot__starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slot"], name="projectslot_once_per_slot"),
            models.CheckConstraint(
                condition=Q(used__lte=F("reserved")), name="projectslot_used_within_reserved"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot}: {self.used}/{self.reserved}"

    @property
    def free(self) -> int:
        return max(self.reserved - self.used, 0)
