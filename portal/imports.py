"""Dwellings and tenancies from the ERP's CSV exports (django-import-export).

Matching is by reference within the staff user's association: re-importing a file changes
nothing; a dwelling missing from a later file is never deleted (staff may mark it out of the
portfolio). A file with any bad row writes nothing: the preview lists every row's error.

Two ways through the same checks: the admin's preview and confirm run django-import-export's
row by row flow, fine for the files staff look at row by row; a large file (an `ImportJob`)
goes through `check_file`, which runs the same per-row hooks without import-export's per-row
bookkeeping (instance loader, deep copy, diff) and hands back what to write, so that the job
can write it set-based (`portal.services.import_job_run`)."""

import dataclasses
import datetime
import functools
import re
from typing import NamedTuple

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.instance_loaders import CachedInstanceLoader
from import_export.tmp_storages import MediaStorage

from .models import Dwelling, DwellingType, Organisation, Tenancy
from .postcode import normalise_postcode
from .signals import dwellings_changed

DWELLING_TYPE_CODES = frozenset(DwellingType.values)
HOUSE_NUMBER_AT_LEAST_ONE = MinValueValidator(1)


def dwelling_type_names() -> dict[str, str]:
    """Each dwelling type's Dutch and English name, lower case, to its code."""
    names: dict[str, str] = {}
    for language in ("en", "nl"):
        with translation.override(language):
            names.update({str(label).lower(): code for code, label in DwellingType.choices})
    return names


def dwelling_type_code(text: str, names: dict[str, str] | None = None) -> str | None:
    """A dwelling type from its VERA code or its Dutch or English name."""
    if text.upper() in DWELLING_TYPE_CODES:
        return text.upper()
    return (names if names is not None else dwelling_type_names()).get(text.lower())


# The shapes the widget reads, read without strptime, which looks up the locale on every call:
# for two dates a row that was a tenth of the time of checking a large file.
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DUTCH_DATE = re.compile(r"(\d{2})([-/])(\d{2})\2(\d{4})", re.ASCII)


class DutchDateWidget(widgets.DateWidget):
    """Dates as ERPs write them: 2024-01-31 or 31-01-2024."""

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        try:
            if match := _ISO_DATE.fullmatch(text):
                year, month, day = match.groups()
                return datetime.date(int(year), int(month), int(day))
            if match := _DUTCH_DATE.fullmatch(text):
                day, _separator, month, year = match.groups()
                return datetime.date(int(year), int(month), int(day))
        except ValueError:
            pass  # 2024-02-30: strptime below gives the message
        for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date
            except ValueError:
                continue
        raise ValueError(_("“%(value)s” is not a date (use 2024-01-31).") % {"value": text})


class WholeNumberWidget(widgets.IntegerWidget):
    """A house number: plain digits read directly; anything else as import-export reads it
    (its locale-aware reading costs a translation lookup per value)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str) and value.isascii() and value.strip().isdigit():
            return int(value)
        return super().clean(value, row, **kwargs)


class YesNoWidget(widgets.BooleanWidget):
    TRUE_VALUES = ["1", 1, True, "true", "TRUE", "True", "ja", "Ja", "JA", "j", "J", "yes"]
    FALSE_VALUES = ["0", 0, False, "false", "FALSE", "False", "nee", "Nee", "NEE", "n", "N", "no"]


class FileRefused(ValueError):
    """The file as a whole cannot be imported (no row is looked at)."""


class CheckedRow(NamedTuple):
    """A checked row: new, update or skip (unchanged, nothing to write)."""

    kind: str
    instance: models.Model | None


@dataclasses.dataclass
class CheckedFile:
    """A whole file checked: each row in file order, or the errors of every bad row."""

    rows: list[CheckedRow] = dataclasses.field(default_factory=list)
    errors: list[dict] = dataclasses.field(default_factory=list)
    # Ids of stored rows whose address changes (dwellings only), for the stored area.
    readdressed_ids: list[int] = dataclasses.field(default_factory=list)


def _error_dict(error: ValidationError) -> dict[str, list[str]]:
    """A row's errors as the preview shows them (import-export's `InvalidRow.error_dict`)."""
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {NON_FIELD_ERRORS: error.messages}


class OrganisationResource(resources.ModelResource):
    """A resource that reads and writes only within one association."""

    def __init__(self, *, organisation: Organisation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.organisation = organisation
        self._seen: set[str] = set()
        # Each column's header as the file spells it ("VHE_Nummer "), by its own name.
        self._file_headers: dict[str, str] = {}

    def read_headers(self, dataset) -> None:
        """Take the file's headers whatever their case or surrounding spaces, remembering
        how the file spells each, so that errors name the column as the file does."""
        own = {field.column_name.casefold(): field.column_name for field in self.fields.values()}
        spelled = list(dataset.headers or [])
        renamed = [own.get(str(header).strip().casefold(), header) for header in spelled]
        self._file_headers = dict(zip(renamed, spelled, strict=True))
        if renamed != spelled:
            dataset.headers = renamed

    @functools.cached_property
    def _column_of(self) -> dict[str, str]:
        """The column each error key means: a field's name, its attribute, its model field."""
        columns: dict[str, str] = {}
        for name, field in self.fields.items():
            for key in (name, field.attribute, (field.attribute or "").removesuffix("_id")):
                if key:
                    columns.setdefault(key, field.column_name)
        return columns

    def column_errors(self, error: ValidationError) -> dict[str, list[str]]:
        """A row's errors by the column as the file names it (`in_bezit_tot`, not the model's
        `in_portfolio_until`); errors of no one column keep their key."""
        named: dict[str, list[str]] = {}
        for key, messages in _error_dict(error).items():
            column = self._column_of.get(key)
            if column is not None:
                key = self._file_headers.get(column, column)
            named.setdefault(key, []).extend(messages)
        return named

    def import_row(self, row, instance_loader, **kwargs):
        # The admin's preview: the same column names as the background import's errors.
        result = super().import_row(row, instance_loader, **kwargs)
        if result.validation_error is not None:
            result.validation_error = ValidationError(self.column_errors(result.validation_error))
        return result

    def get_queryset(self):
        return self._meta.model.objects.filter(organisation=self.organisation)

    def init_instance(self, row=None):
        # By id: setting the related object costs a fifth of building the instance.
        return self._meta.model(organisation_id=self.organisation.pk)

    def before_import(self, dataset, **kwargs):
        self._seen = set()
        self.read_headers(dataset)
        missing = [
            field.column_name
            for field in self.get_import_fields()
            if field.column_name not in (dataset.headers or [])
            and field.column_name in self.required_columns
        ]
        if missing:
            # A plain message for the whole file (a ValidationError would read "['…']").
            raise FileRefused(
                _("The file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
            )

    def check_duplicate(self, row, key: str, label: str) -> None:
        value = str(row.get(key) or "").strip().upper()
        if not value:
            return
        if value in self._seen:
            raise ValidationError(
                {label: _("%(value)s occurs more than once in the file.") % {"value": value}}
            )
        self._seen.add(value)

    # The columns a bulk upsert matches a stored row on, and those an import may change.
    upsert_unique_fields: tuple[str, ...] = ()
    upsert_update_fields: tuple[str, ...] = ()

    def check_file(self, dataset: tablib.Dataset) -> CheckedFile:
        """Check every row with the preview's own hooks and compare it with the stored row,
        asking no query per row: the stored rows are read once. Nothing is written.

        As the preview does: a row that equals its stored row is skipped unchecked; any other
        row becomes an instance and is validated (validate_instance)."""
        checked = CheckedFile()
        try:
            self.before_import(dataset)
        except Exception as error:  # the preview shows it as the file's error
            checked.errors.append({"row": 0, "errors": {"": [str(error)]}})
            return checked
        model = self._meta.model
        import_fields = [
            f
            for f in self.get_import_fields()
            if f.attribute and not isinstance(f.widget, widgets.ManyToManyWidget)
        ]
        attributes = [f.attribute for f in import_fields]
        defaults = {name: model._meta.get_field(name).get_default() for name in attributes}
        key = self.fields[self.get_import_id_fields()[0]].attribute
        key_index = attributes.index(key)
        stored = {
            values[1 + key_index]: (values[0], values[1:])
            for values in self.get_queryset()
            .order_by()
            .values_list("pk", *attributes)
            .iterator(chunk_size=10_000)
        }
        headers = dataset.headers or []
        for number, data in enumerate(dataset, 1):
            row = dict(zip(headers, data, strict=False))
            try:
                self.before_import_row(row)
                read: dict = {}
                errors = self.read_row(row, import_fields, read)
                current = stored.get(read.get(key))
                # A column the file lacks keeps the stored value (the preview's instance loader
                # starts from the stored row), or the model's default for a new row.
                values = {
                    **(
                        defaults
                        if current is None
                        else dict(zip(attributes, current[1], strict=True))
                    ),
                    **read,
                }
                if (
                    not errors
                    and current is not None
                    and current[1] == tuple(values[name] for name in attributes)
                ):
                    checked.rows.append(CheckedRow("skip", None))
                    continue
                instance = self.instance_from(values, row)
                self.validate_instance(instance, errors)
            except ValidationError as error:
                checked.errors.append({"row": number, "errors": self.column_errors(error)})
                continue
            except Exception as error:  # with its row, as the preview shows it
                checked.errors.append({"row": number, "errors": {"": [str(error)]}})
                continue
            if current is None:
                checked.rows.append(CheckedRow("new", instance))
            else:
                checked.rows.append(CheckedRow("update", instance))
                self.note_update(
                    checked,
                    pk=current[0],
                    stored=dict(zip(attributes, current[1], strict=True)),
                    instance=instance,
                )
        return checked

    def read_row(self, row, import_fields, values: dict) -> dict:
        """The value of each column the row has into `values`, as import_instance sets it on an
        instance; the errors of the columns that cannot be read, as import_row passes them on."""
        errors = {}
        for import_field in import_fields:
            if import_field.column_name not in row:
                continue
            try:
                values[import_field.attribute] = import_field.clean(row)
            except ValueError as error:
                errors[import_field.attribute] = ValidationError(str(error), code="invalid")
        return ValidationError(errors).update_error_dict({}) if errors else {}

    def instance_from(self, values: dict, row):
        """A new instance holding the row's values; built from positional values, as Django
        builds one read from the database (a third of the cost of keyword arguments)."""
        values = {**values, "organisation_id": self.organisation.pk}
        return self._meta.model(
            *[
                values[name] if name in values else field.get_default()
                for name, field in self._concrete_fields
            ]
        )

    @functools.cached_property
    def _concrete_fields(self) -> list[tuple[str, models.Field]]:
        return [(field.attname, field) for field in self._meta.model._meta.concrete_fields]

    def note_update(self, checked: CheckedFile, *, pk: int, stored: dict, instance) -> None:
        """A stored row that the file changes; a hook for what follows from the change."""


class DwellingResource(OrganisationResource):
    reference = fields.Field(attribute="reference", column_name="vhe_nummer")
    street = fields.Field(attribute="street", column_name="straat")
    house_number = fields.Field(
        attribute="house_number", column_name="huisnummer", widget=WholeNumberWidget()
    )
    house_number_suffix = fields.Field(attribute="house_number_suffix", column_name="toevoeging")
    postcode = fields.Field(attribute="postcode", column_name="postcode")
    city = fields.Field(attribute="city", column_name="plaats")
    dwelling_type = fields.Field(attribute="dwelling_type", column_name="woningtype")
    in_portfolio_from = fields.Field(
        attribute="in_portfolio_from", column_name="in_bezit_vanaf", widget=DutchDateWidget()
    )
    in_portfolio_until = fields.Field(
        attribute="in_portfolio_until", column_name="in_bezit_tot", widget=DutchDateWidget()
    )
    is_vacant = fields.Field(attribute="is_vacant", column_name="leegstand", widget=YesNoWidget())
    # Optional: the CBS neighbourhood (buurt) code and name; a file without them keeps the
    # stored ones.
    cbs_buurt_code = fields.Field(attribute="cbs_buurt_code", column_name="buurtcode")
    neighbourhood_name = fields.Field(attribute="neighbourhood_name", column_name="buurtnaam")

    required_columns = (
        "vhe_nummer",
        "straat",
        "huisnummer",
        "postcode",
        "plaats",
        "in_bezit_vanaf",
    )

    class Meta:
        model = Dwelling
        import_id_fields = ("reference",)
        fields = (
            "reference",
            "street",
            "house_number",
            "house_number_suffix",
            "postcode",
            "city",
            "dwelling_type",
            "in_portfolio_from",
            "in_portfolio_until",
            "is_vacant",
            "cbs_buurt_code",
            "neighbourhood_name",
        )
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        instance_loader_class = CachedInstanceLoader
        use_transactions = True
        skip_html_diff = True
        use_bulk = True
        batch_size = 1000

    upsert_unique_fields = ("organisation", "reference")
    upsert_update_fields = (
        "street",
        "house_number",
        "house_number_suffix",
        "postcode",
        "city",
        "dwelling_type",
        "in_portfolio_from",
        "in_portfolio_until",
        "is_vacant",
        "cbs_buurt_code",
        "neighbourhood_name",
    )

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._addresses: dict[tuple, str] = {}
        self._postcodes: dict[str, str] = {}
        for reference, postcode, number, suffix in (
            Dwelling.objects.filter(organisation=self.organisation)
            .order_by()
            .values_list("reference", "postcode", "house_number", "house_number_suffix")
            .iterator(chunk_size=10_000)
        ):
            self._addresses[(postcode, number, suffix.upper())] = reference
            self._postcodes[reference] = postcode
        self._file_addresses: dict[tuple, str] = {}
        self._type_names = dwelling_type_names()
        self._readdressed: list[Dwelling] = []

    def before_import_row(self, row, **kwargs):
        self.check_duplicate(row, "vhe_nummer", "reference")
        row["vhe_nummer"] = str(row.get("vhe_nummer") or "").strip()
        row["toevoeging"] = str(row.get("toevoeging") or "").strip()
        if not str(row.get("huisnummer") or "").strip():
            raise ValidationError({"house_number": _("The house number is missing.")})
        raw_postcode = row.get("postcode")
        try:
            row["postcode"] = normalise_postcode(str(raw_postcode or ""))
        except ValidationError as error:
            raise ValidationError(
                {"postcode": [f"“{raw_postcode}”: {message}" for message in error.messages]}
            ) from error
        raw_type = str(row.get("woningtype") or "").strip()
        if raw_type:
            code = dwelling_type_code(raw_type, self._type_names)
            if code is None:
                raise ValidationError(
                    {"dwelling_type": _("Unknown dwelling type “%(type)s”.") % {"type": raw_type}}
                )
            row["woningtype"] = code
        else:
            row["woningtype"] = DwellingType.TUSSENWONING
        if row.get("leegstand") in (None, ""):
            row["leegstand"] = "nee"
        if "buurtcode" in row:
            row["buurtcode"] = str(row.get("buurtcode") or "").strip().upper().replace(" ", "")
        if "buurtnaam" in row:
            row["buurtnaam"] = str(row.get("buurtnaam") or "").strip()
        self._check_address(row)

    def _check_address(self, row) -> None:
        try:
            number = int(str(row["huisnummer"]).strip())
        except ValueError:
            return
        key = (row["postcode"], number, row["toevoeging"].upper())
        reference = row["vhe_nummer"]
        owner = self._file_addresses.get(key) or self._addresses.get(key)
        if owner and owner != reference:
            raise ValidationError(
                {
                    "postcode": _("This address already belongs to %(reference)s.")
                    % {"reference": owner}
                }
            )
        self._file_addresses[key] = reference

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Field checks here; uniqueness is checked per file above and guarded by the database,
        # and the date order below, so no query per row. The association is not checked: it is
        # the resource's own (checking a foreign key asks the database, once per row).
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                # before_import_row has made the postcode and the type valid already.
                exclude={*errors.keys(), "organisation", "postcode", "dwelling_type"},
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "house_number" not in errors and instance.house_number is not None:
            # The database's dwelling_house_number_positive, which full_clean leaves out here
            # (it would ask the database), so that a 0 is a row's error and not a failed write.
            try:
                HOUSE_NUMBER_AT_LEAST_ONE(instance.house_number)
            except ValidationError as error:
                errors["house_number"] = error.error_list
        if (
            instance.in_portfolio_until
            and instance.in_portfolio_from
            and (instance.in_portfolio_until < instance.in_portfolio_from)
        ):
            errors.setdefault("in_portfolio_until", []).append(
                _("The last day in the portfolio lies before the first.")
            )
        if errors:
            raise ValidationError(errors)

    def note_update(self, checked: CheckedFile, *, pk: int, stored: dict, instance) -> None:
        if stored["postcode"] != instance.postcode:
            checked.readdressed_ids.append(pk)

    def save_instance(self, instance, is_create, row, **kwargs):
        # The admin's confirm step: remember new dwellings and changed postcodes, for the signal
        # sent once the rows are written (after_import).
        if is_create or self._postcodes.get(instance.reference) != instance.postcode:
            self._readdressed.append(instance)
        super().save_instance(instance, is_create, row, **kwargs)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or not self._readdressed:
            return
        # Inside import_data's transaction, after its last bulk write: the ids are set.
        dwellings_changed.send(
            sender=Dwelling,
            organisation_id=self.organisation.pk,
            dwelling_ids=[dwelling.pk for dwelling in self._readdressed],
        )


class TenancyResource(OrganisationResource):
    contract_number = fields.Field(attribute="contract_number", column_name="huurcontractnummer")
    # By id: comparing and diffing rows then asks no query per row (see import_field).
    dwelling = fields.Field(attribute="dwelling_id", column_name="vhe_nummer")
    start_date = fields.Field(
        attribute="start_date", column_name="ingangsdatum", widget=DutchDateWidget()
    )
    end_date = fields.Field(attribute="end_date", column_name="einddatum", widget=DutchDateWidget())
    # The tenant's address as the association has it: claiming an account without an
    # activation code mails the link there only. Optional; a file without it keeps the stored one.
    email = fields.Field(attribute="email", column_name="e-mailadres")

    required_columns = ("huurcontractnummer", "vhe_nummer", "ingangsdatum")

    class Meta:
        model = Tenancy
        import_id_fields = ("contract_number",)
        fields = ("contract_number", "dwelling", "start_date", "end_date", "email")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        instance_loader_class = CachedInstanceLoader
        use_transactions = True
        skip_html_diff = True
        use_bulk = True
        batch_size = 1000

    upsert_unique_fields = ("organisation", "contract_number")
    upsert_update_fields = ("dwelling", "start_date", "end_date", "email")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._dwellings: dict[str, Dwelling] | None = None

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # The association's dwellings once, with what a tenancy's name shows, so no row asks.
        self._dwellings = {
            dwelling.reference: dwelling
            for dwelling in Dwelling.objects.filter(organisation=self.organisation).only(
                "pk",
                "organisation_id",
                "reference",
                "street",
                "house_number",
                "house_number_suffix",
            )
        }

    def before_import_row(self, row, **kwargs):
        self.check_duplicate(row, "huurcontractnummer", "contract_number")
        reference = str(row.get("vhe_nummer") or "").strip()
        if reference not in (self._dwellings or {}):
            raise ValidationError(
                {
                    "dwelling": _("No dwelling %(reference)s in this association.")
                    % {"reference": reference}
                }
            )
        row["vhe_nummer"] = reference
        if "e-mailadres" in row:
            row["e-mailadres"] = str(row["e-mailadres"] or "").strip().lower()

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "dwelling_id":
            instance.dwelling = self._dwellings[row["vhe_nummer"]]
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def read_row(self, row, import_fields, values: dict) -> dict:
        errors = super().read_row(row, import_fields, values)
        values["dwelling_id"] = self._dwellings[row["vhe_nummer"]].pk
        return errors

    def instance_from(self, values: dict, row):
        instance = super().instance_from(values, row)
        instance.dwelling = self._dwellings[row["vhe_nummer"]]
        return instance

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude={*errors.keys(), "dwelling", "organisation"},
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.end_date and instance.start_date and instance.end_date < instance.start_date:
            errors.setdefault("end_date", []).append(_("The end lies before the start."))
        if errors:
            raise ValidationError(errors)


RESOURCES = {"dwellings": DwellingResource, "tenancies": TenancyResource}


def dataset_from_text(text: str) -> tablib.Dataset:
    """A CSV as ERPs write it: with or without BOM, comma or semicolon separated."""
    text = text.removeprefix("\ufeff")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return tablib.Dataset().load(text, format="csv", delimiter=delimiter)


def dataset_from_file(file) -> tablib.Dataset:
    """A CSV file as ERPs write it: UTF-8 (with or without BOM), comma or semicolon."""
    with file.open("rb") as handle:
        return dataset_from_text(handle.read().decode("utf-8-sig", errors="replace"))


class PreviewStorage(MediaStorage):
    """Where the admin keeps a previewed file until it is confirmed: the media storage, which
    every web node shares (the default, a temporary folder, is one machine's)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**{"MEDIA_FOLDER": "import-previews", **kwargs})


class ErpCSV(base_formats.CSV):
    """The admin's import format: the same reading as the background import, so a Dutch
    ERP's semicolon file previews as it will be written."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig", errors="replace")
        return dataset_from_text(in_stream)
