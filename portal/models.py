from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .indexes import TrigramIndex
from .postcode import POSTCODE_PATTERN, format_postcode, normalise_postcode
from .search import dwelling_search_condition


class Organisation(models.Model):
    """A housing association: the boundary no other association's staff may cross."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    emergency_phone = models.CharField(
        _("emergency phone number"),
        max_length=30,
        help_text=_("Shown to tenants who report an emergency, day and night."),
    )
    contact_phone = models.CharField(_("phone number"), max_length=30, blank=True)
    contact_email = models.EmailField(_("e-mail address"), blank=True)
    mail_from = models.EmailField(
        _("sender of its mails"),
        blank=True,
        help_text=_("Mails to this association's tenants come from this address."),
    )
    survey_delay_hours = models.PositiveSmallIntegerField(
        _("survey delay (hours)"),
        default=2,
        help_text=_("How long after a repair is completed the tenant is asked to grade it."),
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    retention_months = models.PositiveSmallIntegerField(
        _("keep personal data (months)"),
        default=24,
        db_default=24,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_(
            "How long after a tenancy ends its personal data is kept; then it is anonymised "
            "(privacy.services). The repair figures stay."
        ),
    )

    class Meta:
        verbose_name = _("housing association")
        verbose_name_plural = _("housing associations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser needs is_staff and is_superuser.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractUser):
    """Everyone who logs in: tenants, staff and contractor users, by e-mail address."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("nl", "Nederlands"), ("en", "English")], default="nl"
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def has_contractor_membership(self) -> bool:
        # The membership lives in the contractors app; its reverse accessor is checked by name
        # so this app does not import that one.
        try:
            return getattr(self, "contractor_membership", None) is not None
        except ObjectDoesNotExist:
            return False


def inherit_organisation(instance: models.Model, parent_field: str) -> None:
    """A child row belongs to its parent's association: take it over, or refuse a mismatch."""
    try:
        parent = getattr(instance, parent_field)
    except ObjectDoesNotExist:
        return
    if parent is None:
        return
    if instance.organisation_id is None:
        instance.organisation_id = parent.organisation_id
    elif instance.organisation_id != parent.organisation_id:
        raise ValidationError(
            {parent_field: _("This belongs to another housing association than the one chosen.")}
        )


class OrganisationQuerySet(models.QuerySet):
    """Rows that carry organisation_id, filtered without a join."""

    def for_organisation(self, organisation: Organisation | int) -> "OrganisationQuerySet":
        return self.filter(organisation=organisation)


class StaffMembership(models.Model):
    """Makes a user one of an association's staff, who work in the admin."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="staff_memberships", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("housing association"),
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="staffmembership_unique_user_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation}"


postcode_validator = RegexValidator(
    POSTCODE_PATTERN, _("Enter a Dutch postcode: four digits and two letters, for example 1234AB.")
)


class DwellingQuerySet(OrganisationQuerySet):
    def search(self, term: str) -> "DwellingQuerySet":
        """Dwellings a search box finds: by VHE number, postcode start or street (portal.search)."""
        condition = dwelling_search_condition(term)
        return self if condition is None else self.filter(condition)


class DwellingType(models.TextChoices):
    """Dwelling types, coded as VERA EENHEIDDETAILSOORT."""

    TUSSENWONING = "TUS", _("Terraced house")
    HOEKWONING = "HOE", _("End-of-terrace house")
    TWEE_ONDER_EEN_KAP = "TWE", _("Semi-detached house")
    VRIJSTAAND = "VRI", _("Detached house")
    BENEDENWONING = "BEN", _("Ground-floor flat")
    BOVENWONING = "BOV", _("Upper-floor flat")
    GALERIJFLAT = "GAL", _("Gallery flat")
    PORTIEKFLAT = "POF", _("Walk-up flat")
    MAISONNETTE = "MAI", _("Maisonette")
    KAMER = "KAM", _("Room")


CBS_BUURT_PATTERN = r"^BU[0-9]{8}$"
cbs_buurt_code_validator = RegexValidator(
    CBS_BUURT_PATTERN, _("A CBS neighbourhood code is BU followed by 8 digits, e.g. BU08550101.")
)


class Neighbourhood(models.Model):
    """A neighbourhood of an association's list, where social return (SROI) lands: a CBS
    buurt (by its code), or one the association names itself (no code)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="neighbourhoods",
        verbose_name=_("housing association"),
    )
    cbs_buurt_code = models.CharField(
        _("CBS neighbourhood code"),
        max_length=10,
        blank=True,
        default="",
        db_default="",
        validators=[cbs_buurt_code_validator],
        help_text=_("Empty for a neighbourhood of the association's own naming."),
    )
    name = models.CharField(_("name"), max_length=120)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="neighbourhood_unique_name_per_org"
            ),
            models.UniqueConstraint(
                fields=["organisation", "cbs_buurt_code"],
                condition=~Q(cbs_buurt_code=""),
                name="neighbourhood_unique_code_per_org",
            ),
            models.CheckConstraint(
                condition=Q(cbs_buurt_code="") | Q(cbs_buurt_code__regex=CBS_BUURT_PATTERN),
                name="neighbourhood_code_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cbs_buurt_code})" if self.cbs_buurt_code else self.name


class Dwelling(models.Model):
    """A rentable dwelling (verhuureenheid, VHE) of one association."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="dwellings",
        verbose_name=_("housing association"),
    )
    reference = models.CharField(
        _("VHE number"), max_length=30, help_text=_("The dwelling's number in the ERP.")
    )
    street = models.CharField(_("street"), max_length=120)
    # Kept by the database on every write path (save, bulk_create, upserts, COPY): the column
    # the trigram index serves for street search.
    street_search = models.GeneratedField(
        expression=Lower("street"),
        output_field=models.CharField(max_length=120),
        db_persist=True,
        verbose_name=_("street, for search"),
    )
    house_number = models.PositiveIntegerField(_("house number"))
    house_number_suffix = models.CharField(_("suffix"), max_length=10, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, validators=[postcode_validator])
    city = models.CharField(_("city"), max_length=80)
    dwelling_type = models.CharField(
        _("dwelling type"),
        max_length=3,
        choices=DwellingType.choices,
        default=DwellingType.TUSSENWONING,
    )
    in_portfolio_from = models.DateField(_("in portfolio from"))
    in_portfolio_until = models.DateField(
        _("in portfolio until"),
        null=True,
        blank=True,
        help_text=_("Last day the dwelling belongs to the association; empty while it does."),
    )
    is_vacant = models.BooleanField(
        _("vacant"), default=False, help_text=_("Empty between two tenancies (leegstand).")
    )
    # The CBS neighbourhood (buurt) the dwelling lies in, as the ERP or the CBS "wijk- en
    # buurtkaart" gives it; SROI is reported per neighbourhood (Neighbourhood).
    cbs_buurt_code = models.CharField(
        _("CBS neighbourhood code"),
        max_length=10,
        blank=True,
        default="",
        db_default="",
        validators=[cbs_buurt_code_validator],
        help_text=_("For example BU08550101: BU, the municipality, the district and the area."),
    )
    neighbourhood_name = models.CharField(
        _("neighbourhood"), max_length=120, blank=True, default="", db_default=""
    )

    objects = DwellingQuerySet.as_manager()

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        ordering = ["postcode", "house_number", "house_number_suffix"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="dwelling_unique_reference_per_org"
            ),
            models.UniqueConstraint(
                fields=["organisation", "postcode", "house_number", "house_number_suffix"],
                name="dwelling_unique_address_per_org",
            ),
            models.CheckConstraint(
                condition=Q(postcode__regex=POSTCODE_PATTERN), name="dwelling_postcode_normalised"
            ),
            models.CheckConstraint(
                condition=Q(in_portfolio_until__isnull=True)
                | Q(in_portfolio_until__gte=F("in_portfolio_from")),
                name="dwelling_portfolio_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(house_number__gte=1), name="dwelling_house_number_positive"
            ),
        ]
        # Listing by postcode within an association uses dwelling_unique_address_per_org.
        indexes = [
            models.Index(fields=["reference"], name="dwelling_reference"),
            models.Index(
                fields=["postcode"],
                opclasses=["varchar_pattern_ops"],
                name="dwelling_postcode_start",
            ),
            TrigramIndex(fields=["street_search"], name="dwelling_street_trgm"),
            # the admin's city filter lists an association's cities from the index alone
            models.Index(fields=["organisation", "city"], name="dwelling_org_city"),
        ]

    def __str__(self) -> str:
        return f"{self.address_line}, {format_postcode(self.postcode)} {self.city}"

    def clean_fields(self, exclude=None) -> None:
        # Normalise before the field checks, so "5611 ab" is accepted and a wrong postcode gets
        # the specific message once, next to the field.
        errors: dict = {}
        if self.postcode and "postcode" not in (exclude or ()):
            try:
                self.postcode = normalise_postcode(self.postcode)
            except ValidationError as error:
                errors["postcode"] = error.error_list
                exclude = {*(exclude or ()), "postcode"}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        super().clean()
        self.house_number_suffix = self.house_number_suffix.strip()

    @property
    def address_line(self) -> str:
        suffix = f" {self.house_number_suffix}" if self.house_number_suffix else ""
        return f"{self.street} {self.house_number}{suffix}"


class DwellingTypePeriod(models.Model):
    """The dwelling's type over a stretch of days, so fees follow a change of type pro rata.

    A dwelling without periods has had its current type all along."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.CASCADE, related_name="type_periods", verbose_name=_("dwelling")
    )
    dwelling_type = models.CharField(_("dwelling type"), max_length=3, choices=DwellingType.choices)
    valid_from = models.DateField(_("from"))
    valid_until = models.DateField(_("until"), null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("dwelling type period")
        verbose_name_plural = _("dwelling type periods")
        ordering = ["dwelling", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="typeperiod_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["dwelling"],
                condition=Q(valid_until__isnull=True),
                name="typeperiod_one_open_per_dwelling",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dwelling_id}: {self.get_dwelling_type_display()} {self.valid_from}"


class Tenancy(models.Model):
    """A tenancy contract for a dwelling; the tenant user is set when the tenant claims it."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="tenancies",
        verbose_name=_("housing association"),
    )
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="tenancies", verbose_name=_("dwelling")
    )
    contract_number = models.CharField(_("contract number"), max_length=30)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    tenant = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tenancies",
        verbose_name=_("tenant account"),
        help_text=_("Empty until the tenant claims an account with the contract number."),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claimed_from_ip = models.GenericIPAddressField(
        _("claimed from (IP address)"),
        null=True,
        blank=True,
        help_text=_("The internet address the tenant confirmed the claim from."),
    )
    # db_default: rows written by COPY or plain SQL (the benchmark's seed) may leave it out;
    # default: an instance built in Python (the import's bulk upsert) holds "" itself.
    email = models.EmailField(
        _("e-mail address on file"),
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "The tenant's e-mail address as the association knows it. Without an activation "
            "code, the activation link is mailed to this address only."
        ),
    )
    # Set once its personal data is anonymised (retention or erasure): never done twice.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("tenancy")
        verbose_name_plural = _("tenancies")
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "contract_number"], name="tenancy_unique_contract_per_org"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="tenancy_dates_ordered",
            ),
        ]
        indexes = [
            # a contract number searched across associations (superusers)
            models.Index(fields=["contract_number"], name="tenancy_contract_number"),
            # the retention sweep: ended tenancies not yet anonymised, oldest end first
            models.Index(
                fields=["organisation", "end_date", "id"],
                condition=Q(anonymised_at__isnull=True, end_date__isnull=False),
                name="tenancy_to_anonymise",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_number} – {self.dwelling.address_line}"

    def clean(self) -> None:
        super().clean()
        inherit_organisation(self, "dwelling")


class ActivationCode(models.Model):
    """A one-time code printed on a letter to the tenant: proof that the one claiming the
    tenancy holds the letter. Only a keyed hash is stored; the code itself is shown once, on
    the letter. A new code replaces the tenancy's earlier unused one."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    # indexed by activationcode_tenancy, which starts with it
    tenancy = models.ForeignKey(
        Tenancy,
        on_delete=models.CASCADE,
        related_name="activation_codes",
        verbose_name=_("tenancy"),
        db_index=False,
    )
    code_hash = models.CharField(_("code (hashed)"), max_length=64)
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    valid_until = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        ordering = ["-created_at"]
        # the tenancy's current code, read with the tenancy on every claim
        indexes = [models.Index(fields=["tenancy", "valid_until"], name="activationcode_tenancy")]

    def __str__(self) -> str:
        return f"{self.tenancy_id}: {self.valid_until:%Y-%m-%d}"


class ClaimAttempt(models.Model):
    """A claim whose details or proof did not match, or whose link was mailed, kept for the
    throttle: a client address and a tenancy each get a few wrong tries an hour, and a tenancy
    a few links. In the database, so that the throttle holds when the cache is down."""

    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    # indexed by claimattempt_tenancy, which starts with it
    tenancy = models.ForeignKey(
        Tenancy,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tenancy"),
        db_index=False,
    )
    attempted_at = models.DateTimeField(_("tried at"))
    # A right try whose link was mailed: counted against the links per tenancy, not as wrong.
    link_sent = models.BooleanField(_("link sent"), default=False, db_default=False)

    class Meta:
        verbose_name = _("claim attempt")
        verbose_name_plural = _("claim attempts")
        indexes = [
            models.Index(fields=["client_address", "attempted_at"], name="claimattempt_address"),
            models.Index(fields=["tenancy", "attempted_at"], name="claimattempt_tenancy"),
            # the hourly sweep deletes old rows by this
            models.Index(fields=["attempted_at"], name="claimattempt_time"),
        ]

    def __str__(self) -> str:
        return f"{self.client_address} {self.attempted_at:%Y-%m-%d %H:%M}"


class SentMail(models.Model):
    """One row per mail that must go out once (a reminder, an invitation): its key is unique,
    so a task that runs twice, or two workers at once, cannot send it again."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=250)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mails")

    def __str__(self) -> str:
        return self.key


class ImportKind(models.TextChoices):
    DWELLINGS = "dwellings", _("Dwellings")
    TENANCIES = "tenancies", _("Tenancies")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    CHECKING = "checking", _("Checking every row")
    WRITING = "writing", _("Writing")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused: rows with errors, nothing written")
    FAILED = "failed", _("Failed")
    PREVIEW = "preview", _("Previewed, waiting for confirmation")
    EXPIRED = "expired", _("Preview expired")


class ImportJob(models.Model):
    """A large CSV import that a Celery task checks and then writes, reporting progress."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("housing association"),
    )
    kind = models.CharField(_("what"), max_length=10, choices=ImportKind.choices)
    file = models.FileField(_("CSV file"), upload_to="imports/")
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    new_rows = models.PositiveIntegerField(_("new"), default=0)
    updated_rows = models.PositiveIntegerField(_("changed"), default=0)
    skipped_rows = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(_("note"), blank=True, default="", db_default="")

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        # the sweeps: running jobs past their time limit, previews past their day
        indexes = [models.Index(fields=["status", "created_at"], name="importjob_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, int(100 * self.processed_rows / self.total_rows))


class CollectiveObjectKind(models.TextChoices):
    """VERA COLLECTIEFOBJECTSOORT (OHD collectief-objecten `soort`); the reference data's
    code list is not published with OHD, so the codes are the association's own."""

    STAIRWELL = "TRP", _("Stairwell")
    LIFT = "LFT", _("Lift")
    GALLERY = "GAL", _("Gallery")
    ROOF = "DAK", _("Roof")
    OTHER = "OVR", _("Other common area")


class CollectiveObject(models.Model):
    """A common area of a complex (VERA CollectiefObject: stairwell, lift, gallery, roof),
    shared by the dwellings at its postcode within a house-number range. A repair to it has
    no tenant; it is routed by the postcode like the dwellings around it."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="collective_objects",
        verbose_name=_("housing association"),
    )
    kind = models.CharField(
        _("kind (VERA COLLECTIEFOBJECTSOORT)"), max_length=3, choices=CollectiveObjectKind.choices
    )
    name = models.CharField(_("name"), max_length=120, help_text=_("For example: Lift block B."))
    complex_code = models.CharField(_("complex code"), max_length=30, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, validators=[postcode_validator])
    house_number_from = models.PositiveIntegerField(_("from house number"), default=1)
    house_number_to = models.PositiveIntegerField(
        _("to house number"), null=True, blank=True, help_text=_("Empty: every house number.")
    )
    is_active = models.BooleanField(_("in use"), default=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("common area")
        verbose_name_plural = _("common areas")
        ordering = ["postcode", "house_number_from", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "postcode", "name"],
                name="collectiveobject_unique_name_per_postcode",
            ),
            models.CheckConstraint(
                condition=Q(postcode__regex=POSTCODE_PATTERN),
                name="collectiveobject_postcode_normalised",
            ),
            models.CheckConstraint(
                condition=Q(house_number_to__isnull=True)
                | Q(house_number_to__gte=F("house_number_from")),
                name="collectiveobject_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {format_postcode(self.postcode)}"

    def clean_fields(self, exclude=None) -> None:
        if self.postcode and "postcode" not in (exclude or ()):
            try:
                self.postcode = normalise_postcode(self.postcode)
            except ValidationError as error:
                raise ValidationError({"postcode": error.error_list}) from error
        super().clean_fields(exclude)

    def dwellings(self) -> "DwellingQuerySet":
        """The association's dwellings that share this object: its postcode, in its range."""
        found = Dwelling.objects.filter(
            organisation_id=self.organisation_id,
            postcode=self.postcode,
            house_number__gte=self.house_number_from,
        )
        if self.house_number_to is not None:
            found = found.filter(house_number__lte=self.house_number_to)
        return found
