"""A tenant claims an account with their tenancy details, logs in and out, resets a forgotten
password; wrong details never tell which part was wrong, and guessing passwords gets locked."""

import datetime
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from portal.models import Tenancy, User

from . import factories
from .test_settings import PRODUCTION_LIKE, run

NEUTRAL = (
    "We could not find a current tenancy with these details. Check the contract number on your "
    "tenancy agreement, your postcode, your house number and, if you have one, the activation "
    "code from our letter. After 5 tries that do not match, wait an hour before you try again. "
    "Still stuck? Call your housing association."
)
LINK_NOT_VALID = "This link is no longer valid. Links work for 3 days; request a new one."
ALREADY_CLAIMED = "This tenancy already has an account. Log in, or reset its password."
NEW_PASSWORD = "Lekkende-Kraan-77"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def tenancy(db, organisation):
    """An unclaimed, current tenancy of Kerkstraat 12 A, 5611 AB, with the tenant's e-mail
    address on file (tests/test_claim.py claims with an activation code)."""
    return factories.TenancyFactory(
        dwelling=factories.DwellingFactory(
            organisation=organisation, postcode="5611AB", house_number=12, house_number_suffix="A"
        ),
        contract_number="HC0012345",
        email="Sanne.Jansen@Example.nl",
    )


def claim_details(**changes) -> dict:
    return {
        "contract_number": "HC0012345",
        "postcode": "5611 ab",
        "house_number": "12",
        "suffix": "a",
        **changes,
    }


def claim(client, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("claim"), claim_details(**changes))


def link_in(message) -> str:
    (path,) = re.findall(r"http://testserver(/account/activeren/[^/\s]+/)", message.body)
    return path


def form_errors(response) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in response.context["form"].errors.items()}


# -- claiming ------------------------------------------------------------------------------


def test_claiming_mails_a_link_that_sets_a_password_and_logs_in(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox
):
    # given the details as a tenant types them: postcode with a space in lower case

    # when they claim
    response = claim(english, django_capture_on_commit_callbacks)

    # then one mail with a link goes to the address on file
    assert response.status_code == 302
    assert response.url == reverse("claim_sent")
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["sanne.jansen@example.nl"], "Confirm your e-mail address for Woonstichting Kempenland")
    ]
    assert (
        "We sent a link to the e-mail address we have on file for you, s***@example.nl."
        in english.get(response.url).content.decode()
    )
    link = link_in(mailoutbox[0])

    # when they open it and choose a password
    page = english.get(link)
    chosen = english.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # then the account exists, holds the tenancy, and they are logged in on their repairs
    assert page.status_code == 200
    assert "Your e-mail address sanne.jansen@example.nl is confirmed for Kerkstraat 12 A." in (
        page.content.decode()
    )
    assert chosen.status_code == 302
    assert chosen.url == reverse("my_repairs")
    user = User.objects.get()
    assert user.email == "sanne.jansen@example.nl"
    assert user.check_password(NEW_PASSWORD)
    tenancy.refresh_from_db()
    assert tenancy.tenant == user
    assert tenancy.claimed_at is not None
    assert english.session["_auth_user_id"] == str(user.pk)
    welcome = english.get(chosen.url).content.decode()
    assert "Welcome! Your account is ready. Here you report repairs and follow them." in welcome


def test_a_house_number_without_suffix_is_claimed_with_an_empty_suffix(
    english, db, organisation, django_capture_on_commit_callbacks, mailoutbox
):
    # given
    factories.TenancyFactory(
        dwelling=factories.DwellingFactory(
            organisation=organisation, postcode="5611AB", house_number=14
        ),
        contract_number="HC0012346",
        email="bewoner@example.nl",
    )

    # when
    response = claim(
        english,
        django_capture_on_commit_callbacks,
        contract_number=" hc0012346 ",
        house_number="14",
        suffix="",
    )

    # then
    assert response.status_code == 302
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"contract_number": "HC0099999"},
        {"postcode": "5612 AB"},
        {"house_number": "13"},
        {"suffix": "B"},
        {"suffix": ""},
        {"ended": True},
        {"not_started": True},
    ],
    ids=[
        "wrong-contract",
        "wrong-postcode",
        "wrong-number",
        "wrong-suffix",
        "suffix-left-out",
        "ended",
        "not-started",
    ],
)
def test_any_wrong_detail_gets_the_same_neutral_message_and_no_mail(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox, changes
):
    # given
    if changes.pop("ended", False):
        Tenancy.objects.filter(pk=tenancy.pk).update(end_date=datetime.date(2025, 12, 31))
    if changes.pop("not_started", False):
        Tenancy.objects.filter(pk=tenancy.pk).update(start_date=datetime.date(2099, 1, 1))

    # when
    response = claim(english, django_capture_on_commit_callbacks, **changes)

    # then the same words for every mismatch, on the form as a whole, and nothing is sent
    assert response.status_code == 200
    assert form_errors(response) == {"__all__": [NEUTRAL]}
    assert NEUTRAL in response.content.decode()
    assert mailoutbox == []
    assert list(User.objects.all()) == []


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("5611 A", "Enter a Dutch postcode: four digits and two letters, for example 1234 AB."),
        ("AB 5611", "Enter a Dutch postcode: four digits and two letters, for example 1234 AB."),
        ("0611 AB", "A Dutch postcode never starts with 0. Check the four digits."),
        ("5611 SS", "Postcodes with the letters SS do not exist. Check the two letters."),
    ],
)
def test_a_malformed_postcode_is_explained_next_to_the_field(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox, postcode, message
):
    # given / when
    response = claim(english, django_capture_on_commit_callbacks, postcode=postcode)

    # then
    assert response.status_code == 200
    assert form_errors(response) == {"postcode": [message]}
    assert 'id="error_1_id_postcode"' in response.content.decode()
    assert mailoutbox == []
    assert list(User.objects.all()) == []


def test_an_expired_link_gets_the_link_not_valid_page(
    english, tenancy, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given a link sent on Tuesday morning
    time_machine.move_to(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=AMSTERDAM), tick=True)
    claim(english, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0])

    # when it is opened, and sent, three days and a minute later
    time_machine.move_to(datetime.datetime(2026, 3, 13, 9, 1, tzinfo=AMSTERDAM), tick=True)
    opened = english.get(link)
    sent = english.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # then both get the friendly page, and no account is made
    for response in (opened, sent):
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link does not work (any more)" in html
        assert LINK_NOT_VALID in html
        assert f'href="{reverse("claim")}"' in html
    assert list(User.objects.all()) == []
    tenancy.refresh_from_db()
    assert tenancy.tenant is None


def test_a_link_within_three_days_still_works(
    english, tenancy, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given
    time_machine.move_to(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=AMSTERDAM), tick=True)
    claim(english, django_capture_on_commit_callbacks)

    # when
    time_machine.move_to(datetime.datetime(2026, 3, 13, 8, 59, tzinfo=AMSTERDAM), tick=True)
    response = english.get(link_in(mailoutbox[0]))

    # then
    assert response.status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        # a payload that differs in its last character, whatever that character is
        lambda token: token.replace(
            token.split(":")[0],
            token.split(":")[0][:-1] + ("A" if token.split(":")[0][-1] != "A" else "B"),
        ),
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "garbage"],
)
def test_a_tampered_link_gets_the_link_not_valid_page(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox, tamper
):
    # given
    claim(english, django_capture_on_commit_callbacks)
    token = link_in(mailoutbox[0]).split("/")[-2]

    # when
    response = english.get(reverse("claim_confirm", args=[tamper(token)]))

    # then
    assert response.status_code == 410
    assert LINK_NOT_VALID in response.content.decode()
    assert list(User.objects.all()) == []
    tenancy.refresh_from_db()
    assert tenancy.tenant is None


def test_a_second_claim_cannot_take_over_a_claimed_tenancy(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox
):
    # given the tenancy is claimed already
    owner = factories.UserFactory(email="owner@example.nl")
    Tenancy.objects.filter(pk=tenancy.pk).update(tenant=owner)

    # when someone who knows the details claims it again (the link goes to the address on file)
    claim(english, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0])
    opened = english.get(link)
    sent = english.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # then the link explains, makes no account, and the owner keeps the tenancy
    for response in (opened, sent):
        assert response.status_code == 410
        assert ALREADY_CLAIMED in response.content.decode()
    assert list(User.objects.values_list("email", flat=True)) == ["owner@example.nl"]
    tenancy.refresh_from_db()
    assert tenancy.tenant == owner
    assert "_auth_user_id" not in english.session


def test_a_second_claim_with_another_existing_account_cannot_take_it_over(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox
):
    # given the tenancy is claimed, and the other person has an account of their own
    owner = factories.UserFactory(email="owner@example.nl")
    Tenancy.objects.filter(pk=tenancy.pk).update(tenant=owner, email="other@example.nl")
    other = factories.UserFactory(email="other@example.nl")

    # when they claim it, the link goes to their address on file, and they give its password
    claim(english, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0])
    response = english.post(link, {"password": factories.PASSWORD})

    # then they are refused, not logged in, and the owner keeps the tenancy
    assert response.status_code == 200
    assert form_errors(response) == {"__all__": [ALREADY_CLAIMED]}
    tenancy.refresh_from_db()
    assert tenancy.tenant == owner
    assert other.tenancies.count() == 0
    assert "_auth_user_id" not in english.session


def test_an_existing_account_adds_a_second_home_with_its_password(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox
):
    # given a tenant with an account who now (also) rents Kerkstraat 12 A
    user = factories.UserFactory(email="sanne.jansen@example.nl")

    # when they claim it and confirm with their password
    claim(english, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0])
    wrong = english.post(link, {"password": "not-the-password"})
    right = english.post(link, {"password": factories.PASSWORD})

    # then a wrong password is refused, the right one adds the home
    assert form_errors(wrong) == {
        "__all__": ["This is not the password of the account of sanne.jansen@example.nl."]
    }
    assert right.status_code == 302
    tenancy.refresh_from_db()
    assert tenancy.tenant == user


# -- logging in and out, and a forgotten password ------------------------------------------


def test_a_tenant_logs_in_with_email_and_password_and_out_with_a_post(english, chain):
    # given / when
    response = english.post(
        reverse("login"), {"username": "HUURDER@example.nl", "password": factories.PASSWORD}
    )

    # then
    assert response.status_code == 302
    assert english.session["_auth_user_id"] == str(chain.tenant.pk)
    assert english.get(response.url).url == reverse("my_repairs")
    cookie = response.cookies["sessionid"]
    assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Lax")

    # when they log out: a link (GET) does not, the button (POST) does
    assert english.get(reverse("logout")).status_code == 405
    logged_out = english.post(reverse("logout"))

    # then
    assert logged_out.status_code == 302
    assert "_auth_user_id" not in english.session
    assert english.get(reverse("my_repairs")).status_code == 302


def test_a_wrong_password_does_not_log_in(english, chain):
    # given / when
    response = english.post(
        reverse("login"), {"username": "huurder@example.nl", "password": "Reparatie-2025!"}
    )

    # then
    assert response.status_code == 200
    assert form_errors(response) == {
        "__all__": [
            "This e-mail address and password do not match an account. Check both and try again."
        ]
    }
    assert "_auth_user_id" not in english.session


def test_a_forgotten_password_is_reset_with_the_mailed_link(
    english, chain, django_capture_on_commit_callbacks, mailoutbox
):
    # given / when the tenant asks for a new password
    with django_capture_on_commit_callbacks(execute=True):
        asked = english.post(reverse("password_reset"), {"email": "huurder@example.nl"})

    # then one mail with a link goes out
    assert asked.status_code == 302
    assert asked.url == reverse("password_reset_done")
    assert [m.to for m in mailoutbox] == [["huurder@example.nl"]]
    (link,) = re.findall(
        r"http://testserver(/account/wachtwoord-kiezen/\S+/\S+/)", mailoutbox[0].body
    )

    # when they open it and choose a new password
    form = english.get(link, follow=True)
    chosen = english.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    # then the new password works and the old one does not
    assert form.status_code == 200
    assert chosen.status_code == 302
    assert chosen.url == reverse("password_reset_complete")
    chain.tenant.refresh_from_db()
    assert chain.tenant.check_password(NEW_PASSWORD)
    assert not chain.tenant.check_password(factories.PASSWORD)
    # and the link is spent
    assert english.get(link, follow=True).context["validlink"] is False


def test_a_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    english, chain, django_capture_on_commit_callbacks, mailoutbox
):
    # given / when
    with django_capture_on_commit_callbacks(execute=True):
        response = english.post(reverse("password_reset"), {"email": "nobody@example.nl"})

    # then
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


# -- guessing passwords --------------------------------------------------------------------


@pytest.fixture
def lockout(settings, time_machine):
    """Lockout switched on, at 10:00 sharp."""
    settings.AXES_ENABLED = True
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=AMSTERDAM), tick=False)


@pytest.fixture
def axes_reads_the_login_forms_field(settings):
    """The fix proposed for portal/settings.py: django-axes reads the username from the
    credentials under AXES_USERNAME_FORM_FIELD, which defaults to USERNAME_FIELD ("email");
    the login form sends "username", so every failure was recorded for username None."""
    settings.AXES_USERNAME_FORM_FIELD = "username"


def guess_five_times_then_log_in(client, email: str):
    login = reverse("login")
    wrong = [client.post(login, {"username": email, "password": f"Gok-{n}"}) for n in range(5)]
    right = client.post(login, {"username": email, "password": factories.PASSWORD})
    return wrong, right


def assert_locked_out_then_the_neighbour_logs_in(client, wrong, right) -> None:
    # the first four say the details do not match; the fifth and the sixth (with the right
    # password) get the lockout page, which says when to try again
    assert [r.status_code for r in wrong] == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    html = right.content.decode()
    assert "Too many attempts" in html
    assert (
        "Logging in failed 5 times. For your safety, logging in to this account from here is "
        "blocked for 15 minutes. Try again after 10:15." in html
    )
    assert "_auth_user_id" not in client.session
    # and another account logs in from the same address
    other = factories.UserFactory(email="buurvrouw@example.nl")
    neighbour = client.post(
        reverse("login"), {"username": other.email, "password": factories.PASSWORD}
    )
    assert neighbour.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_five_wrong_passwords_lock_the_account_from_that_address(english, chain, lockout):
    # given lockout switched on, with the settings as they are

    # when five wrong passwords are tried for one account from one address, then the right one
    wrong, right = guess_five_times_then_log_in(english, "huurder@example.nl")

    # then
    assert_locked_out_then_the_neighbour_logs_in(english, wrong, right)


def test_five_wrong_passwords_lock_the_account_once_axes_reads_the_form_field(
    english, chain, lockout, axes_reads_the_login_forms_field
):
    # given lockout switched on, and axes reading the login form's field

    # when five wrong passwords are tried for one account from one address, then the right one
    wrong, right = guess_five_times_then_log_in(english, "huurder@example.nl")

    # then
    assert_locked_out_then_the_neighbour_logs_in(english, wrong, right)


def test_the_lock_ends_after_the_cool_off(
    english, chain, lockout, axes_reads_the_login_forms_field, time_machine
):
    # given a locked account at 10:00
    _wrong, right = guess_five_times_then_log_in(english, "huurder@example.nl")
    assert right.status_code == 429

    # when the right password is given after 10:15
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 16, tzinfo=AMSTERDAM), tick=False)
    response = english.post(
        reverse("login"), {"username": "huurder@example.nl", "password": factories.PASSWORD}
    )

    # then
    assert response.status_code == 302
    assert english.session["_auth_user_id"] == str(chain.tenant.pk)


# -- cookies in production -----------------------------------------------------------------


def test_session_and_csrf_cookies_are_secure_httponly_and_lax_in_production():
    # given the production settings (DEBUG off, a secret key and hosts)
    show = (
        "import json; from django.conf import settings as s; print(json.dumps({name: "
        "getattr(s, name) for name in ('DEBUG', 'SESSION_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SECURE', "
        "'CSRF_COOKIE_SAMESITE')}))"
    )

    # when the settings are read as manage.py reads them
    result = run(["manage.py", "shell", "-c", show], **PRODUCTION_LIKE)

    # then
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
    }
