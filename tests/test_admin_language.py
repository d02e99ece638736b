"""Staff reading Dutch see the admin in Dutch: the strings Django 6.1's own Dutch catalogue
leaves untranslated (the empty choice of a select and an autocomplete, the date filter, the
time zone note of the date and time fields) are translated by the portal, and the tenancy
rows inside a dwelling's form name each input for screen readers."""

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from contractors.models import FeeStatement

from . import factories

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def dutch_staff(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    return client


def catalog(response) -> dict:
    """The translations of a JavaScriptCatalog response (its JSON block)."""
    body = response.content.decode()
    match = re.search(r"const newcatalog = (\{.*?\});\n", body, flags=re.S)
    return json.loads(match.group(1))


def test_the_date_filter_and_list_filters_read_dutch(dutch_staff, organisation):
    # given an issued statement (the list has a date filter on its first day)
    FeeStatement.objects.create(
        organisation=organisation,
        period_kind="month",
        period_start="2026-02-01",
        period_end="2026-02-28",
        total=0,
    )

    # when
    response = dutch_staff.get(reverse("admin:contractors_feestatement_changelist"))

    # then
    assert response.status_code == 200
    text = text_of(response)
    assert "Filter op eerste dag" in text
    assert "Op periode" in text
    assert "Filter by" not in text
    assert " By " not in text


def test_a_select_offers_its_empty_choice_in_dutch(dutch_staff, chain):
    # when staff add an SROI contribution (its contract is an autocomplete select) and a
    # repair category (plain selects of VERA codes)
    sroi = dutch_staff.get(reverse("admin:contractors_sroicontribution_add"))
    category = dutch_staff.get(reverse("admin:repairs_repaircategory_add"))

    # then
    for response in (sroi, category):
        assert response.status_code == 200
        html = response.content.decode()
        assert "- Kies een optie -" in html
        assert "Select an option" not in html


def test_the_admins_javascript_catalogue_has_the_time_zone_note_in_dutch(dutch_staff):
    # given the admin's date and time fields take their words from admin:jsi18n

    # when
    response = dutch_staff.get(reverse("admin:jsi18n"))

    # then
    assert response.status_code == 200
    translations = catalog(response)
    ahead = translations[
        "Note: Enter times in the %(timezone)s timezone. (You are %(offset)s hour ahead.)"
    ]
    assert (
        ahead
        == [
            "Let op: voer tijden in volgens de tijdzone %(timezone)s. (U loopt %(offset)s uur voor.)"
        ]
        * 2
    )
    assert translations["Today (%(date)s)"] == "Vandaag (%(date)s)"
    # and Django's own Dutch is still there
    assert translations["Today"] == "Vandaag"


def test_the_admin_pages_load_the_javascript_catalogue(dutch_staff, chain):
    # when
    response = dutch_staff.get(reverse("admin:portal_dwelling_change", args=[chain.dwelling.pk]))

    # then
    assert f'src="{reverse("admin:jsi18n")}"' in response.content.decode()


def test_english_staff_keep_english(client, staff_user):
    # given
    client.force_login(staff_user)

    # when
    response = client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert "Let op" not in response.content.decode()


def test_the_tenancy_rows_of_a_dwelling_name_each_input(dutch_staff, chain):
    # given the dwelling has a second, ended tenancy
    factories.TenancyFactory(
        dwelling=chain.dwelling, start_date="2015-01-01", end_date="2019-12-31"
    )

    # when
    response = dutch_staff.get(reverse("admin:portal_dwelling_change", args=[chain.dwelling.pk]))

    # then every input of each row has a Dutch accessible name
    html = response.content.decode()
    for row in range(2):
        for field, name in [
            ("contract_number", "Huurcontractnummer"),
            ("start_date", "Ingangsdatum"),
            ("end_date", "Einddatum"),
        ]:
            tag = re.search(rf'<input[^>]*id="id_tenancies-{row}-{field}"[^>]*>', html).group(0)
            assert f'aria-label="{name}"' in tag
    assert '<th class="column-contract_number required">Huurcontractnummer' in html
