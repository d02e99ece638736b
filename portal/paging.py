from django.utils.functional import cached_property

from .scoping import CappedCountPaginator


class UnorderedCountPaginator(CappedCountPaginator):
    """Counts up to the cap without the list's order. A count needs no order, and without it
    PostgreSQL counts from whichever index matches the filter alone (often index-only),
    instead of reading rows in the list's order to count them."""

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.COUNT_CAP].count()
