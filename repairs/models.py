import re
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from contractors.models import Contract, Contractor
from portal.models import (
    CollectiveObject,
    Dwelling,
    DwellingQuerySet,
    Organisation,
    OrganisationQuerySet,
    Tenancy,
)
from portal.search import normalise_term

from . import vera
from .lifecycle import LIFECYCLE, OPEN_STATUSES, Status, statuses


class Responsibility(models.TextChoices):
    LANDLORD = "landlord", _("Housing association")
    TENANT = "tenant", _("Tenant")


class RepairCategory(models.Model):
    """What a tenant can report, coded with VERA: where (room), what (defect) and which trade."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="repair_categories",
        verbose_name=_("housing association"),
    )
    name_nl = models.CharField(_("name (Dutch)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    room_code = models.CharField(
        _("room (VERA DEFECTLOCATIE)"), max_length=3, choices=vera.choices(vera.ROOM)
    )
    defect_code = models.CharField(
        _("defect (VERA DEFECTSOORT)"), max_length=3, choices=vera.choices(vera.DEFECT)
    )
    trade_code = models.CharField(
        _("trade (VERA ONDERHOUDSPECIALISME)"), max_length=3, choices=vera.choices(vera.TRADE)
    )
    responsibility = models.CharField(
        _("who repairs (onderhouds-ABC)"),
        max_length=10,
        choices=Responsibility.choices,
        default=Responsibility.LANDLORD,
    )
    tenant_advice_nl = models.TextField(
        _("advice to the tenant (Dutch)"),
        blank=True,
        help_text=_("Shown instead of a report when the tenant repairs this themselves."),
    )
    tenant_advice_en = models.TextField(_("advice to the tenant (English)"), blank=True)
    is_emergency = models.BooleanField(
        _("emergency"),
        default=False,
        help_text=_("Shows the emergency number; the contractor is told at once."),
    )
    is_active = models.BooleanField(_("offered to tenants"), default=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("repair category")
        verbose_name_plural = _("repair categories")
        ordering = ["room_code", "name_nl"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "room_code", "defect_code", "name_nl"],
                name="repaircategory_unique_per_org",
            ),
            models.CheckConstraint(
                condition=~Q(responsibility="tenant") | ~Q(tenant_advice_nl=""),
                name="repaircategory_tenant_job_has_advice",
                violation_error_message=_("A tenant's own repair needs advice for the tenant."),
            ),
            models.CheckConstraint(
                condition=~Q(responsibility="tenant", is_emergency=True),
                name="repaircategory_emergency_is_landlords",
                violation_error_message=_("An emergency cannot be the tenant's own repair."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "nl").startswith("en") else self.name_nl

    @property
    def tenant_advice(self) -> str:
        if (get_language() or "nl").startswith("en") and self.tenant_advice_en:
            return self.tenant_advice_en
        return self.tenant_advice_nl

    @property
    def room_name(self) -> str:
        return vera.room_names().get(self.room_code, self.room_code)


class ReferenceCounter(models.Model):
    """The last request number handed out in a year, for references like R-2026-000123."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Channel(models.TextChoices):
    PORTAL = "portal", _("Tenant portal")
    PHONE = "phone", _("Phone")
    STAFF = "staff", _("Staff")
    API = "api", _("API")

    @property
    def vera_code(self) -> str:
        """VERA COMMUNICATIEKANAAL."""
        return CHANNEL_VERA[self]


# Staff enter a report the tenant brought to the association's desk; the API is a system
# of the association's own that reports what tenants file online.
CHANNEL_VERA = {
    Channel.PORTAL: "INT",
    Channel.PHONE: "TEL",
    Channel.STAFF: "BAL",
    Channel.API: "INT",
}


class MaintenanceKind(models.TextChoices):
    """What kind of work an order is (VERA ONDERHOUDSOORT): a tenant's repair, or a visit of
    planned maintenance or a renovation project booked through the same chain."""

    REPAIR = "REP", _("Repair")
    PLANNED = "PLN", _("Planned maintenance")
    PROJECT = "PRJ", _("Renovation project")


class CallerRelation(models.TextChoices):
    """Who phoned or came to the desk, for a report staff take on someone's behalf."""

    TENANT = "tenant", _("Tenant")
    NEIGHBOUR = "neighbour", _("Neighbour")
    OTHER = "other", _("Other")


class RejectCategory(models.TextChoices):
    """Why staff or the planner reject a request; the tenant reads what it means for them."""

    TENANT = "tenant", _("The tenant's own responsibility (found on site)")
    DUPLICATE = "duplicate", _("Duplicate of another report")
    NOT_OURS = "not_ours", _("Not the association's property")


# A report of the same defect (VERA DEFECTSOORT) in the same dwelling within this many days
# of a completion is a repeat repair.
REPEAT_WITHIN_DAYS = 30


REFERENCE_SHAPE = re.compile(r"^R-[0-9]{4}-[0-9]+$")

# Open requests before closed ones: the order of the lists that hold both, with an index
# that matches it (sorted, so the index and the query spell the same expression).
IS_OPEN = ExpressionWrapper(Q(status__in=sorted(OPEN_STATUSES)), output_field=BooleanField())
# The statuses with a VERA order code: a contractor's orders in the API (onderhoudsorders).
ORDER_STATUSES = statuses(lambda stage: stage.vera_order is not None)


class RepairRequestQuerySet(OrganisationQuerySet):
    def for_contractor(self, contractor: Contractor | int) -> "RepairRequestQuerySet":
        return self.filter(contractor=contractor)

    def search(
        self, term: str, *, dwellings: DwellingQuerySet | None = None
    ) -> "RepairRequestQuerySet":
        """Requests a search box finds. A term shaped like a request reference (R-2026-000123,
        in any case) finds that request only, by its unique index; anything else finds the
        requests of the dwellings that portal.search finds (by VHE number, postcode start or
        street), by dwelling id: no text lookup across a join. `dwellings` narrows the
        dwellings searched (to an association's, say)."""
        term = normalise_term(term)
        if not term:
            return self
        if REFERENCE_SHAPE.match(term.upper()):
            return self.filter(reference=term.upper())
        if dwellings is None:
            dwellings = Dwelling.objects.all()
        return self.filter(dwelling_id__in=dwellings.search(term).values("pk"))


class RepairRequest(models.Model):
    """A tenant's report of a defect, and the work that follows it."""

    # The lifecycle's statuses, for apps below repairs that reach requests through a reverse
    # relation and may not import this app (the fee figures count completed repairs).
    Status = Status

    # organisation, dwelling and contractor lead composite indexes (Meta), which serve their
    # lookups; a single-column index each would only slow writes.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="repair_requests",
        verbose_name=_("housing association"),
        db_index=False,
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    dwelling = models.ForeignKey(
        Dwelling,
        on_delete=models.PROTECT,
        related_name="repair_requests",
        verbose_name=_("dwelling"),
        db_index=False,
    )
    tenancy = models.ForeignKey(
        Tenancy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_requests",
        verbose_name=_("tenancy"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_repairs",
        verbose_name=_("reported by"),
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.PORTAL
    )
    category = models.ForeignKey(
        RepairCategory,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("category"),
    )
    description = models.TextField(_("description"))
    access_notes = models.TextField(_("access notes"), blank=True)
    contact_phone = models.CharField(_("best phone number"), max_length=30, blank=True)
    is_urgent = models.BooleanField(_("emergency"), default=False)
    # Set when staff take the report (repairs.services.intake): who called, and what the
    # order is when it has no tenant (a common area, or a vacant home between tenancies).
    caller_name = models.CharField(_("caller"), max_length=120, blank=True, db_default="")
    caller_relation = models.CharField(
        _("caller is"), max_length=10, choices=CallerRelation.choices, blank=True, db_default=""
    )
    collective_object = models.ForeignKey(
        CollectiveObject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_requests",
        verbose_name=_("common area"),
    )
    is_vacant_home = models.BooleanField(
        _("vacant home (mutatie)"),
        default=False,
        db_default=False,
        help_text=_("Work in a dwelling between two tenancies; no tenant to contact."),
    )
    maintenance_kind = models.CharField(
        _("kind of work (VERA onderhoudssoort)"),
        max_length=3,
        choices=MaintenanceKind.choices,
        default=MaintenanceKind.REPAIR,
        db_default=MaintenanceKind.REPAIR,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    # Stored when routed, so later changes to rules or contracts do not rewrite history.
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_requests",
        verbose_name=_("contract"),
    )
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_requests",
        verbose_name=_("contractor"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True, db_index=True)
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    unrouted_alert_sent_at = models.DateTimeField(
        _("staff told it is unrouted at"), null=True, blank=True
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    first_time_fix = models.BooleanField(
        _("first-time fix"),
        null=True,
        blank=True,
        help_text=_("Fixed at the first visit with access; set when the request is completed."),
    )
    contractor_confirmed_at = models.DateTimeField(
        _("emergency confirmed by the contractor at"), null=True, blank=True
    )
    emergency_alert_sent_at = models.DateTimeField(
        _("staff alerted about an unconfirmed emergency at"), null=True, blank=True
    )
    planning_note = models.CharField(
        _("why it is not planned yet"),
        max_length=200,
        blank=True,
        help_text=_("Written by the automatic planning when it finds no free time."),
    )
    # The contract's norms counted from the report (repairs.norms), set when the request is
    # routed or assigned; empty before routing and for requests routed before norms existed.
    visit_due_at = models.DateTimeField(_("visit due by"), null=True, blank=True)
    complete_due_at = models.DateTimeField(
        _("latest completion (VERA uitersteGereeddatum)"), null=True, blank=True
    )
    # Written by the periodic escalation when it queues each mail (once per key), and read by it.
    escalated_to_planner_at = models.DateTimeField(
        _("late: planners told at"), null=True, blank=True
    )
    escalated_to_staff_at = models.DateTimeField(_("late: staff told at"), null=True, blank=True)
    # Set by repair_request_reject; empty for requests rejected before categories existed.
    reject_category = models.CharField(
        _("reason for rejecting"),
        max_length=12,
        choices=RejectCategory.choices,
        blank=True,
        db_default="",
    )
    recharge_tenant = models.BooleanField(
        _("recharge to the tenant"),
        default=False,
        db_default=False,
        help_text=_("Rejected as the tenant's own responsibility; staff recharge the costs."),
    )
    # Set when the tenant answers the survey "not solved" (repair_request_reopen).
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    # Set when reported: the completed request of the same dwelling and defect code within
    # REPEAT_WITHIN_DAYS days before, which this one repeats.
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("repeat repair of"),
        db_index=False,  # the admin's filter reads request_org_repeat_created
    )

    objects = RepairRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("repair request")
        verbose_name_plural = _("repair requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="repairrequest_status_known"
            ),
            models.CheckConstraint(
                condition=Q(contract__isnull=True, contractor__isnull=True)
                | Q(contract__isnull=False, contractor__isnull=False),
                name="repairrequest_contract_and_contractor_together",
            ),
            models.CheckConstraint(
                condition=Q(recharge_tenant=False) | Q(reject_category="tenant"),
                name="repairrequest_recharge_only_tenants_own",
                violation_error_message=_(
                    "Only a request rejected as the tenant's own responsibility is recharged."
                ),
            ),
            models.CheckConstraint(
                condition=Q(contract__isnull=False)
                | Q(
                    status__in=[
                        Status.SUBMITTED,
                        Status.UNROUTED,
                        Status.CANCELLED,
                        Status.REJECTED,
                    ]
                ),
                name="repairrequest_routed_has_contract",
            ),
        ]
        indexes = [
            # The planner's work lists: a status (or a few), emergencies first, oldest first.
            models.Index(
                fields=["contractor", "status", "-is_urgent", "created_at", "id"],
                name="request_contractor_queue",
            ),
            # ... and the list of requests waiting for a visit, in that order as well.
            models.Index(
                fields=["contractor", "-is_urgent", "created_at", "id"],
                condition=Q(status__in=[Status.ROUTED, Status.FOLLOW_UP], contract__isnull=False),
                name="request_contractor_waiting",
            ),
            # The planner's list of all requests: open ones first, newest first.
            models.Index(
                F("contractor"),
                IS_OPEN.desc(),
                F("created_at").desc(),
                F("id").desc(),
                name="request_contractor_open_new",
            ),
            # The API's order list of a contractor in the same order, orders only: a page's
            # ids are read from this index alone (an index-only scan).
            models.Index(
                F("contractor"),
                IS_OPEN.desc(),
                F("created_at").desc(),
                F("id").desc(),
                # the status that "open first" is worked out from: the walk reads no row
                F("status"),
                condition=Q(status__in=ORDER_STATUSES),
                name="request_contractor_orders",
            ),
            # The admin's change list of an association, newest first, and each of its filters
            # (the status filter reads request_org_status_completed); a superuser's status
            # filter reads request_status_created.
            models.Index(fields=["organisation", "created_at", "id"], name="request_org_created"),
            models.Index(
                fields=["organisation", "created_at", "id"],
                condition=Q(is_urgent=True),
                name="request_org_urgent_created",
            ),
            models.Index(
                fields=["organisation", "channel", "created_at", "id"],
                name="request_org_channel_created",
            ),
            models.Index(
                fields=["organisation", "contractor", "created_at", "id"],
                name="request_org_contractor_created",
            ),
            models.Index(fields=["status", "created_at", "id"], name="request_status_created"),
            # The admin's filters "recharge", "reopened" and "repeat repair", newest first.
            models.Index(
                fields=["organisation", "created_at", "id"],
                condition=Q(recharge_tenant=True),
                name="request_org_recharge_created",
            ),
            models.Index(
                fields=["organisation", "created_at", "id"],
                condition=Q(reopened_at__isnull=False),
                name="request_org_reopened_created",
            ),
            models.Index(
                fields=["organisation", "created_at", "id"],
                condition=Q(repeat_of__isnull=False),
                name="request_org_repeat_created",
            ),
            # Completed requests by month, of one association (status filter in the admin too)
            # and of all of them (KPIs).
            models.Index(
                fields=["organisation", "status", "completed_at"],
                name="request_org_status_completed",
            ),
            models.Index(
                fields=["completed_at"],
                condition=Q(completed_at__isnull=False),
                name="request_completed_at",
            ),
            models.Index(fields=["dwelling", "-created_at"], name="request_dwelling_created"),
            # A dwelling's open jobs (repairs.bundles and the planner's bundle suggestions):
            # a dwelling has years of closed requests, and only a few open ones.
            models.Index(
                fields=["dwelling"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="request_dwelling_open",
            ),
            # The planner's list of open requests past their deadline, the latest first due.
            models.Index(
                fields=["contractor", "complete_due_at", "id"],
                condition=Q(status__in=sorted(OPEN_STATUSES), complete_due_at__isnull=False),
                name="request_contractor_late",
            ),
            # The escalation sweep: open requests not yet escalated to staff, by deadline.
            models.Index(
                fields=["complete_due_at"],
                condition=Q(
                    status__in=sorted(OPEN_STATUSES),
                    complete_due_at__isnull=False,
                    escalated_to_staff_at__isnull=True,
                ),
                name="request_late_to_escalate",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def vera_status(self) -> str:
        """VERA ONDERHOUDSVERZOEKSTATUS."""
        return LIFECYCLE[self.status].vera_request

    @property
    def vera_order_status(self) -> str | None:
        """VERA ONDERHOUDSORDERSTATUS of the order to the contractor; None before routing."""
        return LIFECYCLE[self.status].vera_order

    @property
    def vera_channel(self) -> str:
        return Channel(self.channel).vera_code

    @property
    def without_tenant(self) -> str:
        """What a work order without a tenant is, for the contractor's label: "common" (a
        common area), "vacant" (a vacant home), or "" for a tenant's repair."""
        if self.collective_object_id is not None:
            return "common"
        return "vacant" if self.is_vacant_home else ""

    def is_late(self, now=None) -> bool:
        """Open and past its latest completion."""
        return (
            self.status in OPEN_STATUSES
            and self.complete_due_at is not None
            and self.complete_due_at < (now or timezone.now())
        )


class UnroutedRequest(RepairRequest):
    """The queue of requests no area covers: staff fix the rules and route them again."""

    class Meta:
        proxy = True
        verbose_name = _("unrouted request")
        verbose_name_plural = _("unrouted requests")


class EventKind(models.TextChoices):
    STATUS = "status", _("Status change")
    NOTE = "note", _("Note")


class RepairEvent(models.Model):
    """One entry of a request's timeline; the tenant reads these in tenant words."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    request = models.ForeignKey(
        RepairRequest,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("repair request"),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=EventKind.choices, default=EventKind.STATUS
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "created_at"], name="event_request_created")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.get_status_display() or self.get_kind_display()}"


class AppointmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Visit done")
    MOVED = "moved", _("Moved to another time")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def vera_code(self) -> str:
        """VERA AFSPRAAKSTATUS."""
        return APPOINTMENT_STATUS_VERA[self]


# A moved visit is cancelled at its old time: a new one is planned at the new time.
APPOINTMENT_STATUS_VERA = {
    AppointmentStatus.PLANNED: "GEP",
    AppointmentStatus.DONE: "AFG",
    AppointmentStatus.MOVED: "ANN",
    AppointmentStatus.CANCELLED: "ANN",
}


class VisitOutcome(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    NO_ACCESS = "no_access", _("No access")


class Appointment(models.Model):
    """A visit of the contractor, booked in one of its slots (a daypart on a date)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    request = models.ForeignKey(
        RepairRequest,
        on_delete=models.CASCADE,
        related_name="appointments",
        verbose_name=_("repair request"),
    )
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("contractor"),
    )
    slot = models.ForeignKey(
        "contractors.Slot",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("daypart"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.PLANNED,
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    # Bumped on every change, so calendars replace the earlier invitation.
    sequence = models.PositiveSmallIntegerField(_("version"), default=0)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    craftsman = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("craftsman"),
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=VisitOutcome.choices, blank=True
    )
    outcome_reason = models.CharField(
        _("reason (VERA)"),
        max_length=3,
        blank=True,
        choices=vera.choices(vera.TASK_DETAIL_STATUS),
        help_text=_("Why another visit is needed, or AFW when nobody was home."),
    )
    outcome_notes = models.TextField(_("notes on the visit"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    # A combined visit: this job rides along on another request's visit in the same dwelling
    # (same slot and time) and takes no place of its own in the contractor's capacity.
    shared_visit = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="riders",
        verbose_name=_("combined with the visit of"),
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="planned"),
                name="appointment_one_planned_per_request",
                violation_error_message=_("This request already has a planned visit."),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="appointment_status_start"),
            models.Index(fields=["contractor", "starts_at"], name="appointment_contractor_start"),
            # The planner's list of planned work: a contractor's planned visits in time order.
            models.Index(
                fields=["contractor", "starts_at", "id"],
                condition=Q(status="planned"),
                name="appointment_contractor_planned",
            ),
            # Planned visits whose daypart has ended: the planner's overdue list starts here.
            models.Index(
                fields=["ends_at"], condition=Q(status="planned"), name="appointment_planned_end"
            ),
            # Visits saved by combining jobs (surveys.kpis.visits_saved_rows): riders by the
            # month they were booked; riders are few among all visits.
            models.Index(
                fields=["created_at"],
                condition=Q(shared_visit__isnull=False),
                name="appointment_rider_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} @ {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def vera_status(self) -> str:
        """VERA AFSPRAAKSTATUS."""
        return AppointmentStatus(self.status).vera_code


def photo_path(instance: "Photo", filename: str) -> str:
    return f"photos/{instance.organisation_id}/{filename}"


class Photo(models.Model):
    """A photo with a request, re-encoded without metadata; served only to those who may see
    the request."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    request = models.ForeignKey(
        RepairRequest,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("repair request"),
    )
    image = models.FileField(_("photo"), upload_to=photo_path)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("taken at visit"),
        help_text=_("Empty for the tenant's photos; set for photos after the work."),
    )

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.pk}"


class ReuseSource(models.TextChoices):
    DEPOT = "depot", _("Depot")
    VACANT_DWELLING = "vacant", _("Vacant dwelling")
    SAME_DWELLING = "same", _("Same dwelling")


class MaterialReuse(models.Model):
    """Material a craftsman reused at a visit instead of buying new."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="reuses", verbose_name=_("visit")
    )
    contractor = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, related_name="reuses", verbose_name=_("contractor")
    )
    description = models.CharField(_("what"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField(_("unit"), max_length=20, default="st")
    source = models.CharField(_("source"), max_length=10, choices=ReuseSource.choices)
    source_dwelling = models.ForeignKey(
        Dwelling,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donated_materials",
        verbose_name=_("vacant dwelling it came from"),
    )
    estimated_value = models.DecimalField(
        _("estimated value (€)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("reused material")
        verbose_name_plural = _("reused materials")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reuse_quantity_positive"),
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="reuse_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(source="vacant", source_dwelling__isnull=False)
                | (~Q(source="vacant") & Q(source_dwelling__isnull=True)),
                name="reuse_vacant_source_names_dwelling",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.description}"
