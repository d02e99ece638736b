"""Make an API client from the command line (the admin does the same on its add page), for a
contractor by its KvK number or an association by its short name. The client id and secret
are printed once, as shell variables: `eval "$(manage.py api_client_create ...)"`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.scopes import ASSOCIATION_DEFAULT_SCOPES, CONTRACTOR_DEFAULT_SCOPES, SCOPES
from api.services import api_client_create
from contractors.models import Contractor
from portal.models import Organisation


class Command(BaseCommand):
    help = (
        "Make an API client for a contractor (--contractor KVK) or an association "
        "(--association SHORT-NAME) and print CLIENT_ID and CLIENT_SECRET once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True, help="which system this is")
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--contractor", metavar="KVK", help="the contractor's KvK number")
        owner.add_argument("--association", metavar="SHORT-NAME", help="the association's slug")
        parser.add_argument(
            "--scope",
            action="append",
            choices=sorted(SCOPES),
            help="a scope to grant (again for more); default: the owner kind's usual scopes",
        )

    def handle(self, *args, **options) -> None:
        contractor = organisation = None
        if options["contractor"]:
            contractor = Contractor.objects.filter(kvk_number=options["contractor"]).first()
            if contractor is None:
                raise CommandError(f"No contractor with KvK number {options['contractor']}.")
            defaults = CONTRACTOR_DEFAULT_SCOPES
        else:
            organisation = Organisation.objects.filter(slug=options["association"]).first()
            if organisation is None:
                raise CommandError(f"No association with short name {options['association']}.")
            defaults = ASSOCIATION_DEFAULT_SCOPES
        try:
            new = api_client_create(
                name=options["name"],
                scopes=options["scope"] or list(defaults),
                contractor=contractor,
                organisation=organisation,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"CLIENT_ID={new.client_id}\nCLIENT_SECRET={new.client_secret}\n")
