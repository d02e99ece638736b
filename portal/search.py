"""What a search box finds among dwellings, each way by an index (DESIGN.md, Scale):

- a VHE number, exactly as stored or in capitals;
- a postcode by its start: "5611", "5611 A", "5611AB", or a postcode with a house number;
- a street by a fragment of at least three letters ("kerk", "straat"), optionally followed by a
  house number ("Kerkstraat 12"). PostgreSQL answers the fragment from the pg_trgm index on
  the lower-cased street (Dwelling.street_search); SQLite scans, which is fine at its size.

Screens over other tables (requests, tenancies) filter by the ids of the dwellings found
here, never by a text lookup across a join."""

import re
from functools import reduce
from operator import or_

from django.db.models import Q

MIN_FRAGMENT = 3
_POSTCODE_START = re.compile(r"^([1-9][0-9]{3})(?: ?([A-Z]{1,2}))?$")
_POSTCODE_AND_NUMBER = re.compile(r"^([1-9][0-9]{3}) ?([A-Z]{2}) ([0-9]{1,5})(?: ?[A-Z0-9-]{0,6})$")
_STREET_AND_NUMBER = re.compile(r"^(.*[^0-9 ]) ([0-9]{1,5})(?: ?[A-Za-z]{0,4})$")


def normalise_term(term: str) -> str:
    return " ".join((term or "").split())


def dwelling_search_condition(term: str) -> Q | None:
    """The condition on Dwelling for a search term, or None for an empty term."""
    term = normalise_term(term)
    if not term:
        return None
    upper = term.upper()
    arms = [Q(reference__in=sorted({term, upper}))]
    if match := _POSTCODE_AND_NUMBER.match(upper):
        arms.append(Q(postcode=match[1] + match[2], house_number=int(match[3])))
    elif match := _POSTCODE_START.match(upper):
        arms.append(Q(postcode__startswith=match[1] + (match[2] or "")))
    else:
        street, number = term, None
        if match := _STREET_AND_NUMBER.match(term):
            street, number = match[1], int(match[2])
        fragment = street.lower()
        if len(fragment) >= MIN_FRAGMENT:
            condition = Q(street_search__contains=fragment)
            if number is not None:
                condition &= Q(house_number=number)
            arms.append(condition)
    return reduce(or_, arms)
