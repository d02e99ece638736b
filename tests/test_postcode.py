"""Dutch postcodes are stored as 1234AB; everything else is refused with a message that helps."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import override

from contractors.models import PostcodeRule
from portal.models import Dwelling
from portal.postcode import format_postcode, normalise_postcode, postcode_digits

from . import factories

SHAPE_MESSAGE = "Enter a Dutch postcode: four digits and two letters, for example 1234 AB."
LEADING_ZERO_MESSAGE = "A Dutch postcode never starts with 0. Check the four digits."
REQUIRED_MESSAGE = "Enter a postcode."


def refusal(value):
    """The code and English message normalise_postcode refuses the value with."""
    with pytest.raises(ValidationError) as excinfo, override("en"):
        normalise_postcode(value)
    error = excinfo.value
    with override("en"):
        return error.code, error.messages


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234 ab", "1234AB"),
        ("1234ab", "1234AB"),
        ("1234AB", "1234AB"),
        ("  1234   AB  ", "1234AB"),
        ("\t1234\nab ", "1234AB"),
        ("1234\u00a0AB", "1234AB"),
        ("9999 zz", "9999ZZ"),
        ("1000AA", "1000AA"),
        ("5611 sb", "5611SB"),
    ],
)
def test_normalise_postcode_accepts_and_normalises(value, expected):
    # given a postcode as a person types it

    # when
    normalised = normalise_postcode(value)

    # then
    assert normalised == expected


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("0123AB", "invalid", LEADING_ZERO_MESSAGE),
        ("0123 ab", "invalid", LEADING_ZERO_MESSAGE),
        ("12345", "invalid", SHAPE_MESSAGE),
        ("1234A", "invalid", SHAPE_MESSAGE),
        ("ABCD12", "invalid", SHAPE_MESSAGE),
        ("1234 AB1", "invalid", SHAPE_MESSAGE),
        ("12 34AB", "invalid", SHAPE_MESSAGE),
        ("1234 A B", "invalid", SHAPE_MESSAGE),
        ("1234-AB", "invalid", SHAPE_MESSAGE),
        ("123AB", "invalid", SHAPE_MESSAGE),
        ("1234ABC", "invalid", SHAPE_MESSAGE),
        ("１２３４AB", "invalid", SHAPE_MESSAGE),
        ("", "required", REQUIRED_MESSAGE),
        ("   ", "required", REQUIRED_MESSAGE),
        (None, "required", REQUIRED_MESSAGE),
    ],
)
def test_normalise_postcode_refuses_with_a_message(value, code, message):
    # given a value that is no Dutch postcode

    # when
    refused = refusal(value)

    # then
    assert refused == (code, [message])


@pytest.mark.parametrize(
    ("value", "letters"),
    [("1234 SA", "SA"), ("1234SD", "SD"), ("1234ss", "SS"), ("5611 sa", "SA")],
)
def test_normalise_postcode_refuses_letters_postnl_never_issues(value, letters):
    # given a postcode with SA, SD or SS, which PostNL never issues

    # when
    refused = refusal(value)

    # then
    assert refused == (
        "invalid",
        [f"Postcodes with the letters {letters} do not exist. Check the two letters."],
    )


def test_postcode_digits_and_format():
    # given a normalised postcode
    postcode = "5611AB"

    # when
    digits, shown = postcode_digits(postcode), format_postcode(postcode)

    # then
    assert (digits, shown) == (5611, "5611 AB")


def dwelling(postcode: str) -> Dwelling:
    return factories.DwellingFactory.build(
        organisation=factories.OrganisationFactory(),
        reference="VHE000001",
        postcode=postcode,
        in_portfolio_from=datetime.date(2020, 1, 1),
    )


@pytest.mark.django_db
def test_dwelling_full_clean_keeps_a_normalised_postcode():
    # given
    home = dwelling("5611AB")

    # when
    home.full_clean()

    # then
    assert home.postcode == "5611AB"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["5611 ab", "5611ab", " 5611AB "])
def test_dwelling_full_clean_normalises_the_postcode(typed):
    # given a dwelling whose postcode is typed as people type it
    home = dwelling(typed)

    # when
    home.full_clean()

    # then
    assert home.postcode == "5611AB"


REFUSALS = [
    ("0123AB", LEADING_ZERO_MESSAGE),
    ("12345", SHAPE_MESSAGE),
    ("1234 SA", "Postcodes with the letters SA do not exist. Check the two letters."),
    ("1234SD", "Postcodes with the letters SD do not exist. Check the two letters."),
    ("ABCD12", SHAPE_MESSAGE),
    ("12 34AB", SHAPE_MESSAGE),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "message"), REFUSALS)
def test_dwelling_full_clean_refuses_a_wrong_postcode_and_saves_nothing(typed, message):
    # given
    home = dwelling(typed)

    # when
    with pytest.raises(ValidationError) as excinfo, override("en"):
        home.full_clean()

    # then
    with override("en"):
        assert message in excinfo.value.messages
    assert Dwelling.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "message"), REFUSALS)
def test_dwelling_full_clean_puts_one_message_next_to_the_postcode(typed, message):
    # given
    home = dwelling(typed)

    # when
    with pytest.raises(ValidationError) as excinfo, override("en"):
        home.full_clean()

    # then
    with override("en"):
        assert excinfo.value.message_dict == {"postcode": [message]}


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def dwelling_form(organisation, postcode: str) -> dict[str, str]:
    return {
        "organisation": str(organisation.pk),
        "reference": "VHE123456",
        "dwelling_type": "TUS",
        "street": "Kerkstraat",
        "house_number": "12",
        "house_number_suffix": "",
        "postcode": postcode,
        "city": "Eindhoven",
        "in_portfolio_from": "2024-01-01",
        "tenancies-TOTAL_FORMS": "0",
        "tenancies-INITIAL_FORMS": "0",
        "_save": "Save",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["5611 ab", "5611ab", " 5611  AB "])
def test_admin_stores_a_dwellings_postcode_normalised(staff_client, organisation, typed):
    # given
    form = dwelling_form(organisation, typed)

    # when
    response = staff_client.post(reverse("admin:portal_dwelling_add"), form)

    # then
    assert response.status_code == 302
    assert list(Dwelling.objects.values_list("postcode", flat=True)) == ["5611AB"]


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "message"), REFUSALS)
def test_admin_refuses_a_wrong_postcode_next_to_the_field(
    staff_client, organisation, typed, message
):
    # given
    form = dwelling_form(organisation, typed)

    # when
    response = staff_client.post(reverse("admin:portal_dwelling_add"), form)

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"postcode": [message]}
    assert Dwelling.objects.count() == 0


@pytest.mark.django_db
def test_admin_stores_a_rules_full_postcode_normalised(staff_client, organisation):
    # given
    area = factories.AreaFactory(organisation=organisation, name="Centrum")
    form = {
        "organisation": str(organisation.pk),
        "area": str(area.pk),
        "range_start": "",
        "range_end": "",
        "postcode": "5611 ab",
        "_save": "Save",
    }

    # when
    response = staff_client.post(reverse("admin:contractors_postcoderule_add"), form)

    # then
    assert response.status_code == 302
    assert list(PostcodeRule.objects.values_list("postcode", "range_start", "range_end")) == [
        ("5611AB", None, None)
    ]


@pytest.mark.django_db
def test_admin_refuses_a_rules_wrong_postcode(staff_client, organisation):
    # given
    area = factories.AreaFactory(organisation=organisation, name="Centrum")
    form = {
        "organisation": str(organisation.pk),
        "area": str(area.pk),
        "range_start": "",
        "range_end": "",
        "postcode": "5611 SS",
        "_save": "Save",
    }

    # when
    response = staff_client.post(reverse("admin:contractors_postcoderule_add"), form)

    # then
    assert response.status_code == 200
    # The model's clean() runs without the refused postcode and adds its own hint.
    assert response.context["adminform"].form.errors == {
        "postcode": ["Postcodes with the letters SS do not exist. Check the two letters."],
        "__all__": ["Give a range (from and to, four digits each) or one full postcode."],
    }
    assert PostcodeRule.objects.count() == 0
