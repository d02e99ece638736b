"""Routing: which area holds a postcode, and which contract covers a dwelling on a date
(DESIGN.md, Routing).

`area_rule` is the one statement of "the area of a postcode"; it is evaluated only when a
dwelling's stored area (`DwellingArea`) is written. Routing and fees read the stored area.
"""

import datetime

from django.db.models import CharField, Expression, IntegerField, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Substr

from portal.models import Dwelling

from .models import Area, Contract, PostcodeRule


def area_rule(organisation_id, postcode, *, rules=None) -> Expression:
    """The id of the area whose rules hold the postcode, or NULL, as an SQL expression:
    a full-postcode rule beats a range. `organisation_id` and `postcode` are expressions
    (usually `OuterRef`s to a dwelling); `rules` is the rule manager (a migration passes its
    historical model's)."""
    rules = PostcodeRule.objects if rules is None else rules
    full = (
        rules.filter(organisation_id=organisation_id, postcode=postcode)
        .order_by("pk")
        .values("area_id")[:1]
    )
    digits = Cast(Substr(postcode, 1, 4), IntegerField())
    ranged = (
        rules.filter(
            organisation_id=organisation_id,
            postcode__isnull=True,
            range_start__lte=digits,
            range_end__gte=digits,
        )
        # Ranges never overlap (an exclusion constraint on PostgreSQL, the admin elsewhere); the
        # order only makes the answer certain if they ever did.
        .order_by("range_start", "pk")
        .values("area_id")[:1]
    )
    return Coalesce(Subquery(full), Subquery(ranged))


def area_for_postcode(*, organisation_id: int, postcode: str) -> Area | None:
    """The area the association's rules give a postcode, for an address that is not (or not
    yet) a dwelling; a dwelling's own area is stored (`DwellingArea`)."""
    matched = area_rule(Value(organisation_id), Value(postcode, output_field=CharField()))
    return Area.objects.filter(pk=matched).first()


def route(dwelling: Dwelling, on_date: datetime.date) -> Contract | None:
    """The one contract responsible for the dwelling on that date, or None: the contract of
    the dwelling's stored area, valid on the date."""
    return (
        Contract.objects.valid_on(on_date)
        .filter(area__dwelling_links__dwelling_id=dwelling.pk)
        .select_related("contractor", "area")
        .order_by("valid_from", "pk")
        .first()
    )
