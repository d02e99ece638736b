"""Dutch postcodes: four digits (not starting with 0) and two letters, stored as 1234AB."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

POSTCODE_PATTERN = r"^[1-9][0-9]{3}[A-Z]{2}$"
_SHAPE = re.compile(r"^([0-9]{4})\s*([A-Z]{2})$")
# PostNL never issues these letter pairs.
FORBIDDEN_LETTERS = frozenset({"SA", "SD", "SS"})


def normalise_postcode(value: str | None) -> str:
    """Return the postcode as 1234AB, or raise ValidationError saying what is wrong."""
    text = " ".join((value or "").split()).upper()
    if not text:
        raise ValidationError(_("Enter a postcode."), code="required")
    match = _SHAPE.match(text)
    if not match:
        raise ValidationError(
            _("Enter a Dutch postcode: four digits and two letters, for example 1234 AB."),
            code="invalid",
        )
    digits, letters = match.groups()
    if digits.startswith("0"):
        raise ValidationError(
            _("A Dutch postcode never starts with 0. Check the four digits."), code="invalid"
        )
    if letters in FORBIDDEN_LETTERS:
        raise ValidationError(
            _("Postcodes with the letters %(letters)s do not exist. Check the two letters."),
            code="invalid",
            params={"letters": letters},
        )
    return digits + letters


def postcode_digits(postcode: str) -> int:
    """The four digits of a normalised postcode, as routed by range rules."""
    return int(postcode[:4])


def format_postcode(postcode: str) -> str:
    """1234AB as a person writes it: 1234 AB."""
    return f"{postcode[:4]} {postcode[4:]}" if len(postcode) == 6 else postcode


class PostcodeFormField(forms.CharField):
    """A form field that takes a postcode as people type it ("5611 ab") and cleans it to 5611AB.

    The model field holds six characters; this field leaves room for the space and surrounding
    blanks, so "5611 AB" reaches normalise_postcode instead of a length error.
    """

    def __init__(self, **kwargs) -> None:
        kwargs["max_length"] = 12
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        return normalise_postcode(value)
