"""`manage.py api_client_create`: a client made from the command line (for scripts and CI),
its credentials printed once as shell variables, and working at the token endpoint."""

import io

import pytest
from django.core.management import CommandError, call_command

from api.models import ApiClient
from tests.test_api_helpers import OHD, api, token_response

pytestmark = pytest.mark.django_db


def run(*args) -> dict[str, str]:
    out = io.StringIO()
    call_command("api_client_create", *args, stdout=out)
    return dict(line.split("=", 1) for line in out.getvalue().splitlines())


def test_a_contractor_client_from_the_command_line_fetches_a_token(chain):
    printed = run("--name", "Planning", "--contractor", chain.contractor.kvk_number)
    api_client = ApiClient.objects.get()
    assert api_client.contractor == chain.contractor
    assert api_client.application.client_id == printed["CLIENT_ID"]
    assert api_client.application.client_secret != printed["CLIENT_SECRET"]
    token = token_response(printed["CLIENT_ID"], printed["CLIENT_SECRET"]).json()["access_token"]
    assert api(token).get(f"{OHD}/onderhoudsorders").status_code == 200


def test_an_association_client_with_the_scopes_asked_for(organisation):
    run("--name", "ERP", "--association", organisation.slug, "--scope", "OHD.All.Read")
    assert ApiClient.objects.get().scope_list == ["OHD.All.Read"]


def test_an_unknown_owner_is_refused(db):
    with pytest.raises(CommandError, match="No contractor"):
        run("--name", "X", "--contractor", "00000000")
    with pytest.raises(CommandError, match="No association"):
        run("--name", "X", "--association", "nergens")
    assert not ApiClient.objects.exists()
