"""Dwellings and tenancies from the ERP's CSV exports (django-import-export).

Matching is by reference within the staff user's association: re-importing a file changes
nothing; a dwelling missing from a later file is never deleted (staff may mark it out of the
portfolio). A file with any bad row writes nothing: the preview lists every row's error."""

import datetime

import tablib
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.instance_loaders import CachedInstanceLoader

from .models import Dwelling, DwellingType, Organisation, Tenancy
from .postcode import normalise_postcode


def dwelling_type_code(text: str) -> str | None:
    """A dwelling type from its VERA code or its Dutch or English name."""
    if text.upper() in DwellingType.values:
        return text.upper()
    for language in ("nl", "en"):
        with translation.override(language):
            for code, label in DwellingType.choices:
                if str(label).lower() == text.lower():
                    return code
    return None


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
        for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date
            except ValueError:
                continue
        raise ValueError(_("“%(value)s” is not a date (use 2024-01-31).") % {"value": text})


class YesNoWidget(widgets.BooleanWidget):
    TRUE_VALUES = ["1", 1, True, "true", "TRUE", "True", "ja", "Ja", "JA", "j", "J", "yes"]
    FALSE_VALUES = ["0", 0, False, "false", "FALSE", "False", "nee", "Nee", "NEE", "n", "N", "no"]


class FileRefused(ValueError):
    """The file as a whole cannot be imported (no row is looked at)."""


class OrganisationResource(resources.ModelResource):
    """A resource that reads and writes only within one association."""

    def __init__(self, *, organisation: Organisation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.organisation = organisation
        self._seen: set[str] = set()

    def get_queryset(self):
        return self._meta.model.objects.filter(organisation=self.organisation)

    def init_instance(self, row=None):
        return self._meta.model(organisation=self.organisation)

    def before_import(self, dataset, **kwargs):
        self._seen = set()
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


class DwellingResource(OrganisationResource):
    reference = fields.Field(attribute="reference", column_name="vhe_nummer")
    street = fields.Field(attribute="street", column_name="straat")
    house_number = fields.Field(
        attribute="house_number", column_name="huisnummer", widget=widgets.IntegerWidget()
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
        )
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        instance_loader_class = CachedInstanceLoader
        use_transactions = True
        skip_html_diff = True
        use_bulk = True
        batch_size = 1000

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._addresses = {
            (postcode, number, suffix.upper()): reference
            for reference, postcode, number, suffix in Dwelling.objects.filter(
                organisation=self.organisation
            ).values_list("reference", "postcode", "house_number", "house_number_suffix")
        }
        self._file_addresses: dict[tuple, str] = {}

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
            code = dwelling_type_code(raw_type)
            if code is None:
                raise ValidationError(
                    {"dwelling_type": _("Unknown dwelling type “%(type)s”.") % {"type": raw_type}}
                )
            row["woningtype"] = code
        else:
            row["woningtype"] = DwellingType.TUSSENWONING
        if row.get("leegstand") in (None, ""):
            row["leegstand"] = "nee"
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
        # and the date order below, so no query per row.
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=errors.keys(), validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
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


class TenancyResource(OrganisationResource):
    contract_number = fields.Field(attribute="contract_number", column_name="huurcontractnummer")
    # By id: comparing and diffing rows then asks no query per row (see import_field).
    dwelling = fields.Field(attribute="dwelling_id", column_name="vhe_nummer")
    start_date = fields.Field(
        attribute="start_date", column_name="ingangsdatum", widget=DutchDateWidget()
    )
    end_date = fields.Field(attribute="end_date", column_name="einddatum", widget=DutchDateWidget())

    required_columns = ("huurcontractnummer", "vhe_nummer", "ingangsdatum")

    class Meta:
        model = Tenancy
        import_id_fields = ("contract_number",)
        fields = ("contract_number", "dwelling", "start_date", "end_date")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        instance_loader_class = CachedInstanceLoader
        use_transactions = True
        skip_html_diff = True
        use_bulk = True
        batch_size = 1000

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

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "dwelling_id":
            instance.dwelling = self._dwellings[row["vhe_nummer"]]
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude={*errors.keys(), "dwelling"},
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


class ErpCSV(base_formats.CSV):
    """The admin's import format: the same reading as the background import, so a Dutch
    ERP's semicolon file previews as it will be written."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig", errors="replace")
        return dataset_from_text(in_stream)
