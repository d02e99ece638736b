"""Recompute every dwelling's stored area from the postcode rules (idempotent)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from contractors.services import dwelling_areas_refresh
from portal.models import Organisation


class Command(BaseCommand):
    help = (
        "Recompute the stored area of every dwelling (or of one association's) from the "
        "postcode rules. Safe to run again: a second run changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--organisation", help="only this association (its slug or id)", default=None
        )

    def handle(self, *args, organisation: str | None = None, **options) -> None:
        organisation_id = None
        if organisation:
            named = Q(slug=organisation)
            if organisation.isdigit():
                named |= Q(pk=int(organisation))
            ids = list(Organisation.objects.filter(named).values_list("pk", flat=True))
            if len(ids) != 1:
                raise CommandError(f"--organisation={organisation}: no such association.")
            organisation_id = ids[0]
        with transaction.atomic():
            changed = dwelling_areas_refresh(organisation_id=organisation_id)
        self.stdout.write(f"Stored areas of dwellings: {changed} written or changed.")
