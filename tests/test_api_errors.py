"""Every error of the API is OHD's Foutbericht, {"code", "omschrijving"}, in the caller's
language (Dutch unless it asks for English), with the headers that belong to it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from oauth2_provider.models import AccessToken

from api.errors import foutbericht_exception_handler
from api.tasks import api_tokens_clear
from portal.errors import ApplicationError
from tests.test_api_helpers import OHD, api, new_client, token_for

pytestmark = pytest.mark.django_db


class SlotFull(ApplicationError):
    pass


def test_any_other_path_under_the_base_path_is_a_foutbericht_404(chain):
    token = token_for(new_client(contractor=chain.contractor))
    for caller in (api(token), api(None)):
        response = caller.get(f"{OHD}/offertes")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"code": "not_found", "omschrijving": "Niet gevonden."}
    assert api(token).post(f"{OHD}/bestaat/niet", {}).status_code == 404


def test_a_method_the_operation_lacks_is_a_foutbericht_405(chain):
    caller = api(token_for(new_client(contractor=chain.contractor)))
    response = caller.delete(f"{OHD}/onderhoudsorders")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("owner", "path", "params"),
    [
        ("contractor", "onderhoudsorders/R-2026%00", {}),
        ("association", "onderhoudsorders/R-2026%00", {}),
        ("association", "onderhoudsverzoeken/R-2026%00", {}),
        ("contractor", "afspraak-opties", {"onderhoudsorder": "R-2026\x00"}),
        ("contractor", "afspraken/%C2%B2", {}),  # "²": str.isdigit() says yes, int() no
        ("contractor", "afspraken/" + "9" * 30, {}),
    ],
)
def test_an_id_no_row_can_have_is_a_404_not_a_server_error(chain, owner, path, params):
    new = (
        new_client(contractor=chain.contractor)
        if owner == "contractor"
        else new_client(organisation=chain.organisation)
    )
    response = api(token_for(new)).get(f"{OHD}/{path}", params)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "omschrijving": "Niet gevonden."}


def test_a_report_with_a_nul_in_its_codes_or_key_is_a_400(chain):
    caller = api(token_for(new_client(organisation=chain.organisation)))
    body = {
        "eenheid": {"id": chain.dwelling.reference},
        "defecten": [{"soort": {"code": "LEK\x00"}, "locatie": {"code": "KEU"}}],
        "omschrijving": "Lek.",
    }
    bad_code = caller.post(f"{OHD}/onderhoudsverzoeken", body, content_type="application/json")
    body["defecten"][0]["soort"]["code"] = chain.category.defect_code
    bad_key = caller.post(
        f"{OHD}/onderhoudsverzoeken",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k\x00",
    )
    assert bad_code.status_code == 400
    assert bad_code.json()["omschrijving"] == "defecten: Null-tekens zijn niet toegestaan."
    assert bad_key.status_code == 400
    assert bad_key.json()["omschrijving"].startswith("Idempotency-Key: Geef een sleutel")
    assert not chain.dwelling.repair_requests.exists()


def test_errors_are_in_english_for_a_caller_that_asks(chain):
    response = api(None).get(f"{OHD}/ping", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {
        "code": "not_authenticated",
        "omschrijving": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="ohd"'


def test_domain_refusals_and_django_errors_become_foutberichten():
    refused = foutbericht_exception_handler(SlotFull("Dit dagdeel is vol."), {})
    assert (refused.status_code, refused.data) == (
        409,
        {"code": "SlotFull", "omschrijving": "Dit dagdeel is vol."},
    )
    invalid = foutbericht_exception_handler(
        ValidationError({"begindatum": ["Kies een datum in de toekomst."]}), {}
    )
    assert (invalid.status_code, invalid.data) == (
        400,
        {"code": "invalid", "omschrijving": "begindatum: Kies een datum in de toekomst."},
    )
    missing = foutbericht_exception_handler(Http404(), {})
    assert (missing.status_code, missing.data["code"]) == (404, "not_found")
    forbidden = foutbericht_exception_handler(PermissionDenied(), {})
    assert (forbidden.status_code, forbidden.data["code"]) == (403, "permission_denied")
    # anything else is Django's to report (a 500), not hidden in a Foutbericht
    assert foutbericht_exception_handler(RuntimeError("boom"), {}) is None


def test_expired_tokens_are_cleared_and_valid_ones_kept(chain, time_machine):
    new = new_client(contractor=chain.contractor)
    token_for(new)
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=2))
    fresh = token_for(new)
    api_tokens_clear()
    assert AccessToken.objects.count() == 1
    assert api(fresh).get(f"{OHD}/ping").status_code == 200
