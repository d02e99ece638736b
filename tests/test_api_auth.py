"""API clients and their tokens: made in the admin (staff for their association, a platform
admin for a contractor too), the secret shown once and stored hashed, a token fetched with the
client credentials, refused when the secret is wrong, the token expired, the client revoked
or the scope missing, and each client throttled on its own with a 429 and Retry-After."""

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from api.models import ApiClient
from api.scopes import ASSOCIATION_DEFAULT_SCOPES
from api.services import api_client_revoke
from tests import factories
from tests.test_api_helpers import (
    OHD,
    api,
    basic_auth,
    new_client,
    throttle_reset,
    token_for,
    token_response,
)

pytestmark = pytest.mark.django_db

ADD = "/admin/api/apiclient/add/"
CHANGELIST = "/admin/api/apiclient/"


def shown_credentials(response) -> tuple[str, str]:
    html = response.content.decode()
    client_id = re.search(r'<code id="client-id">([^<]+)</code>', html).group(1)
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', html).group(1)
    return client_id, secret


def test_staff_make_a_client_for_their_association_and_it_fetches_a_token(
    client, staff_user, organisation
):
    # given staff of an association in the admin
    client.force_login(staff_user)
    form = client.get(ADD)
    assert form.status_code == 200
    assert 'name="contractor"' not in form.content.decode()
    assert form.context["adminform"].form.initial["scopes"] == list(ASSOCIATION_DEFAULT_SCOPES)
    # when they add a client for their ERP
    response = client.post(
        ADD,
        {
            "name": "ERP Kempenland",
            "organisation": organisation.pk,
            "scopes": ["OHD.Onderhoudsverzoeken.ReadWrite", "OHD.Onderhoudsorders.Read"],
        },
    )
    # then the page shows the client id and the secret, once, and no cache keeps it
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    client_id, secret = shown_credentials(response)
    api_client = ApiClient.objects.select_related("application").get()
    assert api_client.organisation == organisation and api_client.contractor is None
    assert api_client.created_by == staff_user
    assert LogEntry.objects.get().object_id == str(api_client.pk)
    assert api_client.application.client_id == client_id
    assert api_client.scope_list == [
        "OHD.Onderhoudsorders.Read",
        "OHD.Onderhoudsverzoeken.ReadWrite",
    ]
    # stored hashed: not the secret, but it checks against it
    stored = api_client.application.client_secret
    assert stored != secret and check_password(secret, stored)
    # the client's page never shows it again
    page = client.get(f"{CHANGELIST}{api_client.pk}/change/")
    assert page.status_code == 200 and secret not in page.content.decode()
    assert client_id in page.content.decode()
    # and the system fetches a token and is answered
    token = token_response(client_id, secret)
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == set(api_client.scope_list)
    assert api(body["access_token"]).get(f"{OHD}/ping").status_code == 200


def test_staff_cannot_make_a_client_for_another_association_or_a_contractor(
    client, staff_user, other_organisation, chain
):
    client.force_login(staff_user)
    other = client.post(
        ADD,
        {"name": "ERP", "organisation": other_organisation.pk, "scopes": ["OHD.All.Read"]},
    )
    assert other.status_code == 200 and "organisation" in other.context["adminform"].form.errors
    contractor = client.post(
        ADD, {"name": "Planning", "contractor": chain.contractor.pk, "scopes": ["OHD.All.Read"]}
    )
    assert contractor.status_code == 200
    assert "organisation" in contractor.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def test_staff_see_only_their_own_associations_clients(client, staff_user, organisation, chain):
    mine = new_client(organisation=organisation, name="Ons ERP").api_client
    theirs = new_client(organisation=factories.OrganisationFactory(), name="Hun ERP").api_client
    contractors = new_client(contractor=chain.contractor, name="Aannemer").api_client
    client.force_login(staff_user)
    listing = client.get(CHANGELIST)
    assert [row.pk for row in listing.context["cl"].result_list] == [mine.pk]
    assert client.get(f"{CHANGELIST}{theirs.pk}/change/").status_code == 404
    assert client.get(f"{CHANGELIST}{contractors.pk}/change/").status_code == 404


def test_a_platform_admin_makes_a_client_for_a_contractor(client, superuser, chain):
    client.force_login(superuser)
    response = client.post(
        ADD,
        {
            "name": "Planning Van den Berg",
            "contractor": chain.contractor.pk,
            "scopes": ["OHD.Onderhoudsorders.ReadWrite", "OHD.Afspraken.ReadWrite"],
        },
    )
    assert response.status_code == 200
    client_id, secret = shown_credentials(response)
    api_client = ApiClient.objects.get()
    assert api_client.contractor == chain.contractor and api_client.organisation is None
    assert token_response(client_id, secret).status_code == 200


def test_a_client_belongs_to_one_owner_exactly(client, superuser, chain, organisation):
    client.force_login(superuser)
    both = client.post(
        ADD,
        {
            "name": "Both",
            "contractor": chain.contractor.pk,
            "organisation": organisation.pk,
            "scopes": ["OHD.All.Read"],
        },
    )
    neither = client.post(ADD, {"name": "Neither", "scopes": ["OHD.All.Read"]})
    assert both.status_code == neither.status_code == 200
    assert both.context["adminform"].form.errors and neither.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def test_a_wrong_secret_gets_no_token(chain):
    new = new_client(contractor=chain.contractor)
    response = token_response(new.client_id, new.client_secret[:-1] + "x")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    unknown = token_response("nobody", new.client_secret)
    assert unknown.status_code == 401
    assert not AccessToken.objects.exists()


def test_an_expired_token_is_refused(chain, time_machine):
    new = new_client(contractor=chain.contractor)
    token = token_for(new)
    assert api(token).get(f"{OHD}/ping").status_code == 200
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=3601))
    response = api(token).get(f"{OHD}/ping")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_client_loses_its_tokens_and_gets_no_new_one(client, superuser, chain):
    new = new_client(contractor=chain.contractor)
    token = token_for(new)
    # when a platform admin revokes it in the admin
    client.force_login(superuser)
    response = client.post(
        CHANGELIST, {"action": "revoke", "_selected_action": [new.api_client.pk]}, follow=True
    )
    assert response.status_code == 200
    new.api_client.refresh_from_db()
    assert new.api_client.is_active is False
    assert new.api_client.revoked_by == superuser and new.api_client.revoked_at is not None
    # then its token fails, and it gets no new one
    refused = api(token).get(f"{OHD}/onderhoudsorders")
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    assert token_response(new.client_id, new.client_secret).status_code == 401
    assert not AccessToken.objects.filter(application=new.api_client.application).exists()


def test_a_token_of_a_client_switched_off_without_its_tokens_deleted_is_refused(chain):
    """The token check itself asks whether the client is active, not only the revoke."""
    new = new_client(contractor=chain.contractor)
    token = token_for(new)
    ApiClient.objects.filter(pk=new.api_client.pk).update(
        is_active=False, revoked_at=new.api_client.created_at
    )
    assert api(token).get(f"{OHD}/ping").status_code == 401
    # revoking again changes nothing
    api_client_revoke(api_client=new.api_client)
    assert ApiClient.objects.get().revoked_at == new.api_client.created_at


def test_a_token_without_the_scope_of_the_resource_is_refused_with_403(organisation):
    new = new_client(organisation=organisation, scopes=["OHD.Onderhoudsverzoeken.ReadWrite"])
    token = token_for(new)
    response = api(token).get(f"{OHD}/onderhoudsorders")
    assert response.status_code == 403
    assert response.json() == {
        "code": "insufficient_scope",
        "omschrijving": "Dit token heeft geen scope voor deze resource.",
    }
    # ping needs a valid token, no scope
    assert api(token).get(f"{OHD}/ping").status_code == 200


def test_a_token_asked_for_fewer_scopes_holds_only_those(chain):
    new = new_client(contractor=chain.contractor)
    token = token_for(new, scope="OHD.AfspraakOpties.Read")
    assert api(token).get(f"{OHD}/onderhoudsorders").status_code == 403
    assert (
        token_response(new.client_id, new.client_secret, scope="OHD.All.ReadWrite").json()["error"]
        == "invalid_scope"
    )


def test_each_client_is_throttled_on_its_own_with_retry_after(settings, chain, other_chain):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "3/min"},
    }
    busy_client = new_client(contractor=chain.contractor)
    calm_client = new_client(contractor=other_chain.contractor)
    throttle_reset(busy_client, calm_client)
    busy, calm = api(token_for(busy_client)), api(token_for(calm_client))
    statuses = [busy.get(f"{OHD}/onderhoudsorders").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = busy.get(f"{OHD}/ping")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"
    assert calm.get(f"{OHD}/ping").status_code == 200


def test_the_token_url_is_named_in_our_schema():
    assert reverse("api:token") == "/api/oauth/token/"


def test_an_oauth2_client_without_an_api_client_gets_no_token():
    """A client made some other way (django-oauth-toolkit's own admin) has no owner, so no
    scope: it is refused, never given a token that reaches everything."""

    application = Application.objects.create(
        name="Los",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret="geheim-geheim-geheim",
    )
    response = token_response(application.client_id, "geheim-geheim-geheim")
    assert response.status_code == 401
    assert not AccessToken.objects.exists()


def test_staff_revoke_their_own_clients_only(client, staff_user, organisation):
    mine = new_client(organisation=organisation, name="Ons ERP")
    theirs = new_client(organisation=factories.OrganisationFactory(), name="Hun ERP")
    client.force_login(staff_user)
    response = client.post(
        CHANGELIST,
        {"action": "revoke", "_selected_action": [mine.api_client.pk, theirs.api_client.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert list(ApiClient.objects.filter(is_active=False)) == [mine.api_client]
    assert token_response(theirs.client_id, theirs.client_secret).status_code == 200
    assert token_response(mine.client_id, mine.client_secret).status_code == 401


def test_a_logged_in_session_is_no_way_into_the_api(client, superuser, chain):
    """Only a token opens the API: not the admin's or a planner's browser session."""
    factories.routed_request_create(chain)
    client.force_login(superuser)
    for path in (f"{OHD}/ping", f"{OHD}/onderhoudsorders"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_the_token_endpoint_is_throttled_per_address_before_checking_a_secret(settings, chain):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "api_token": "2/min",
        },
    }
    new = new_client(contractor=chain.contractor)
    other = new_client(contractor=chain.contractor, name="Tweede systeem")
    statuses = [token_response(new.client_id, "fout").status_code for _ in range(2)]
    refused = token_response(new.client_id, new.client_secret)
    assert statuses == [401, 401]
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert not AccessToken.objects.exists()
    # another client from the same address is counted on its own
    assert token_response(other.client_id, other.client_secret).status_code == 200


def test_a_client_may_send_its_credentials_in_the_body(chain):
    new = new_client(contractor=chain.contractor)
    response = Client().post(
        reverse("api:token"),
        {
            "grant_type": "client_credentials",
            "client_id": new.client_id,
            "client_secret": new.client_secret,
        },
    )
    assert response.status_code == 200
    assert api(response.json()["access_token"]).get(f"{OHD}/ping").status_code == 200


def test_a_client_revokes_its_own_token(chain):
    new = new_client(contractor=chain.contractor)
    token = token_for(new)
    response = Client().post(
        reverse("api:revoke-token"),
        {"token": token},
        HTTP_AUTHORIZATION=basic_auth(new.client_id, new.client_secret),
    )
    assert response.status_code == 200
    assert api(token).get(f"{OHD}/ping").status_code == 401
