"""Routing: which contract covers a dwelling on a date (DESIGN.md, Routing)."""

import datetime

from portal.models import Dwelling
from portal.postcode import postcode_digits

from .models import Area, Contract, PostcodeRule


def area_for_postcode(*, organisation_id: int, postcode: str) -> Area | None:
    """The area whose rules hold the postcode: a full-postcode rule beats a range."""
    rule = (
        PostcodeRule.objects.filter(organisation_id=organisation_id, postcode=postcode)
        .select_related("area")
        .first()
    )
    if rule is None:
        digits = postcode_digits(postcode)
        rule = (
            PostcodeRule.objects.filter(
                organisation_id=organisation_id,
                postcode__isnull=True,
                range_start__lte=digits,
                range_end__gte=digits,
            )
            .select_related("area")
            .order_by("range_start", "pk")
            .first()
        )
    return rule.area if rule else None


def route(dwelling: Dwelling, on_date: datetime.date) -> Contract | None:
    """The one contract responsible for the dwelling on that date, or None."""
    area = area_for_postcode(organisation_id=dwelling.organisation_id, postcode=dwelling.postcode)
    if area is None:
        return None
    return (
        Contract.objects.valid_on(on_date)
        .filter(area=area)
        .select_related("contractor", "area")
        .order_by("valid_from", "pk")
        .first()
    )
