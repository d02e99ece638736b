"""Only the tenant can claim a tenancy: the contract number and the address are not enough.
The proof is the e-mail address the association has on file (the link goes there only) or a
one-time activation code from a letter staff print in the admin. Wrong tries are throttled per
client address and per tenancy, every refusal reads the same, and staff see when and from
where a tenancy was claimed."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import ActivationCode, ClaimAttempt, ImportJob, ImportStatus, Tenancy, User
from portal.services import activation_codes_issue, claim_attempts_prune, import_job_run

from . import factories
from .test_imports import TENANCY_HEADER, TENANCY_IMPORT, erp_csv, preview

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEUTRAL = (
    "We could not find a current tenancy with these details. Check the contract number on your "
    "tenancy agreement, your postcode, your house number and, if you have one, the activation "
    "code from our letter. After 5 tries that do not match, wait an hour before you try again. "
    "Still stuck? Call your housing association."
)
NEW_PASSWORD = "Lekkende-Kraan-77"
TENANT_IP = "192.0.2.10"


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.defaults["REMOTE_ADDR"] = TENANT_IP
    return client


@pytest.fixture
def tenancy(db, organisation):
    """A current, unclaimed tenancy of Kerkstraat 12 A, 5611 AB, no e-mail address on file."""
    return factories.TenancyFactory(
        dwelling=factories.DwellingFactory(
            organisation=organisation,
            street="Kerkstraat",
            postcode="5611AB",
            house_number=12,
            house_number_suffix="A",
        ),
        contract_number="HC0012345",
    )


@pytest.fixture
def code(tenancy, staff_user) -> str:
    """The code on the letter staff printed for the tenancy."""
    ((_tenancy, printed),) = activation_codes_issue(tenancies=[tenancy], actor=staff_user)
    return printed


def details(**changes) -> dict:
    return {
        "contract_number": "HC0012345",
        "postcode": "5611 ab",
        "house_number": "12",
        "suffix": "a",
        "code": "",
        "email": "",
        **changes,
    }


def claim(client, capture, **changes):
    with capture(execute=True):
        return client.post(reverse("claim"), details(**changes))


def link_in(message) -> str:
    (path,) = re.findall(r"http://testserver(/account/activeren/[^/\s]+/)", message.body)
    return path


def refused(response) -> bool:
    """The neutral answer: the form again, with the one message for every refusal."""
    return (
        response.status_code == 200
        and list(response.context["form"].errors.get("__all__", [])) == [NEUTRAL]
        and NEUTRAL in response.content.decode()
    )


def choose_password(client, link: str):
    return client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


# -- the address on file ---------------------------------------------------------------------


def test_the_link_goes_to_the_address_on_file_and_the_page_shows_it_masked(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox
):
    # given the association has the tenant's address on file
    Tenancy.objects.filter(pk=tenancy.pk).update(email="sanne.jansen@example.nl")

    # when the tenant claims with the details alone
    response = claim(english, django_capture_on_commit_callbacks)

    # then the link goes to that address, and the page says where, without showing it whole
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["sanne.jansen@example.nl"]]
    page = english.get(response.url).content.decode()
    assert "We sent a link to the e-mail address we have on file for you, s***@example.nl." in page
    assert "sanne.jansen@example.nl" not in page

    # when they open it from their mailbox and choose a password
    chosen = choose_password(english, link_in(mailoutbox[0]))

    # then the account is theirs, and the claim's time and client address are kept
    assert chosen.status_code == 302
    tenancy.refresh_from_db()
    assert tenancy.tenant == User.objects.get(email="sanne.jansen@example.nl")
    assert tenancy.claimed_at is not None
    assert tenancy.claimed_from_ip == TENANT_IP


def test_an_address_typed_without_a_code_is_refused_next_to_the_field(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox
):
    # given an address on file
    Tenancy.objects.filter(pk=tenancy.pk).update(email="sanne.jansen@example.nl")

    # when someone types another address, without a code
    response = claim(english, django_capture_on_commit_callbacks, email="intruder@example.nl")

    # then it is not used: the form explains, and nothing is sent
    assert response.status_code == 200
    assert dict(response.context["form"].errors) == {
        "code": [
            "Fill in the activation code from our letter, or leave the e-mail address empty: "
            "without a code we send the link to the address we have on file."
        ]
    }
    assert mailoutbox == []


def test_a_link_stops_working_when_the_address_on_file_changes(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox
):
    # given a link sent to the old address on file
    Tenancy.objects.filter(pk=tenancy.pk).update(email="oud@example.nl")
    claim(english, django_capture_on_commit_callbacks)

    # when the association changes the address before the link is used
    Tenancy.objects.filter(pk=tenancy.pk).update(email="nieuw@example.nl")
    response = choose_password(english, link_in(mailoutbox[0]))

    # then
    assert response.status_code == 410
    assert list(User.objects.all()) == []


def test_details_without_any_proof_never_make_an_account(
    english, tenancy, django_capture_on_commit_callbacks, mailoutbox
):
    # given no address on file and no code: the neighbour's case, who knows the address

    # when they claim with the right contract number and address
    response = claim(english, django_capture_on_commit_callbacks)

    # then the neutral answer; nothing is sent and no account made
    assert refused(response)
    assert mailoutbox == []
    assert list(User.objects.all()) == []
    assert Tenancy.objects.get().tenant is None


# -- the activation code -------------------------------------------------------------------


def test_a_code_sends_the_link_to_the_address_given_and_is_used_once(
    english, tenancy, code, django_capture_on_commit_callbacks, mailoutbox
):
    # given the code as a tenant types it: lower case, without the dashes

    # when they claim with it and their address
    typed = code.replace("-", " ").lower()
    response = claim(
        english, django_capture_on_commit_callbacks, code=typed, email="Sanne@Example.nl"
    )

    # then the link goes to that address, shown whole (they typed it)
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["sanne@example.nl"]]
    assert "We sent a link to Sanne@Example.nl." in english.get(response.url).content.decode()

    # when they choose a password
    chosen = choose_password(english, link_in(mailoutbox[0]))

    # then the account holds the tenancy and the code is used up
    assert chosen.status_code == 302
    tenancy.refresh_from_db()
    assert (tenancy.tenant.email, tenancy.claimed_from_ip) == ("sanne@example.nl", TENANT_IP)
    assert ActivationCode.objects.get().used_at is not None

    # when the code is tried again (the tenancy released, say, by staff)
    Tenancy.objects.filter(pk=tenancy.pk).update(tenant=None)
    again = claim(english, django_capture_on_commit_callbacks, code=code, email="ander@example.nl")

    # then it does not work a second time
    assert refused(again)
    assert len(mailoutbox) == 1


def test_a_second_link_of_the_same_code_stops_working_once_the_first_is_used(
    english, tenancy, code, django_capture_on_commit_callbacks, mailoutbox
):
    # given two links, sent with the same code to two addresses
    claim(english, django_capture_on_commit_callbacks, code=code, email="een@example.nl")
    claim(english, django_capture_on_commit_callbacks, code=code, email="twee@example.nl")
    first, second = (link_in(message) for message in mailoutbox)

    # when the first is used, then the second opened
    choose_password(english, first)
    english.post(reverse("logout"))
    opened = english.get(second)

    # then the second says the code has been used
    assert opened.status_code == 410
    assert "The activation code of this link has been used already." in opened.content.decode()
    tenants = User.objects.filter(email__endswith="@example.nl")
    assert list(tenants.values_list("email", flat=True)) == ["een@example.nl"]


def test_a_code_expires_after_30_days(
    english, tenancy, staff_user, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given a code printed on 1 March at 09:00 (UTC: the clocks change in between)
    time_machine.move_to(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    ((_tenancy, printed),) = activation_codes_issue(tenancies=[tenancy], actor=staff_user)

    # when it is used on 31 March just before 09:00, and on another try just after
    time_machine.move_to(datetime.datetime(2026, 3, 31, 8, 59, tzinfo=datetime.UTC), tick=False)
    in_time = claim(english, django_capture_on_commit_callbacks, code=printed, email="a@example.nl")
    time_machine.move_to(datetime.datetime(2026, 3, 31, 9, 1, tzinfo=datetime.UTC), tick=False)
    too_late = claim(
        english, django_capture_on_commit_callbacks, code=printed, email="b@example.nl"
    )

    # then the first works, the second gets the neutral answer
    assert in_time.status_code == 302
    assert refused(too_late)
    assert [m.to for m in mailoutbox] == [["a@example.nl"]]


def test_a_new_letter_replaces_the_earlier_code(
    english, tenancy, staff_user, code, django_capture_on_commit_callbacks, mailoutbox
):
    # given a second letter printed
    ((_tenancy, newer),) = activation_codes_issue(tenancies=[tenancy], actor=staff_user)

    # when the first code is tried, then the second
    old = claim(english, django_capture_on_commit_callbacks, code=code, email="a@example.nl")
    new = claim(english, django_capture_on_commit_callbacks, code=newer, email="a@example.nl")

    # then
    assert refused(old)
    assert new.status_code == 302


def test_codes_are_stored_hashed(tenancy, code):
    # given / then no column holds the code as printed
    stored = ActivationCode.objects.values_list("code_hash", flat=True).get()
    assert code.replace("-", "") not in stored
    assert len(stored) == 64


def test_a_code_without_an_address_asks_for_it(
    english, tenancy, code, django_capture_on_commit_callbacks, mailoutbox
):
    # given / when
    response = claim(english, django_capture_on_commit_callbacks, code=code)

    # then
    assert dict(response.context["form"].errors) == {
        "email": ["Fill in your e-mail address: we send the link there."]
    }
    assert mailoutbox == []


def strip_varying(html: str) -> str:
    """A page without what differs between any two requests: the CSRF token, and the
    contract number echoed in its field."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="contract_number" value="[^"]*"', "", html)


def test_a_wrong_code_gets_exactly_the_answer_an_unknown_contract_gets(
    english, tenancy, code, django_capture_on_commit_callbacks, mailoutbox
):
    # given a tenancy with a code, and an address on file (so that only the code decides)
    Tenancy.objects.filter(pk=tenancy.pk).update(email="sanne@example.nl")
    wrong_code = "ABCD-EFGH-JKMN" if code != "ABCD-EFGH-JKMN" else "NMKJ-HGFE-DCBA"

    # when one tries the right details with a wrong code, another an unknown contract
    with CaptureQueriesContext(connection) as wrong_queries:
        wrong = claim(
            english, django_capture_on_commit_callbacks, code=wrong_code, email="x@example.nl"
        )
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = claim(
            english,
            django_capture_on_commit_callbacks,
            contract_number="HC0012346",
            code=wrong_code,
            email="x@example.nl",
        )

    # then the same status and the same page, from the same database work; nothing is sent
    assert refused(wrong) and refused(unknown)
    assert wrong.status_code == unknown.status_code == 200
    assert strip_varying(wrong.content.decode()) == strip_varying(unknown.content.decode())
    assert len(wrong_queries) == len(unknown_queries)
    assert mailoutbox == []


# -- the throttle --------------------------------------------------------------------------


def test_five_wrong_tries_from_one_address_stop_that_address_for_an_hour(
    english, client, tenancy, code, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given five wrong tries from one client address at 10:00, on other contracts
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=AMSTERDAM), tick=False)
    for number in range(5):
        assert refused(
            claim(english, django_capture_on_commit_callbacks, contract_number=f"HC00999{number}")
        )

    # when the right details and code come from that address, and from another one
    blocked = claim(english, django_capture_on_commit_callbacks, code=code, email="a@example.nl")
    client.defaults.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.7")
    elsewhere = claim(client, django_capture_on_commit_callbacks, code=code, email="b@example.nl")

    # then that address gets the neutral answer, the other gets its link
    assert refused(blocked)
    assert elsewhere.status_code == 302
    assert [m.to for m in mailoutbox] == [["b@example.nl"]]

    # when an hour has passed since the wrong tries (and the blocked one)
    time_machine.move_to(datetime.datetime(2026, 3, 10, 11, 0, 1, tzinfo=AMSTERDAM), tick=False)
    later = claim(english, django_capture_on_commit_callbacks, code=code, email="a@example.nl")

    # then it works from the first address again
    assert later.status_code == 302


def test_five_wrong_codes_for_one_tenancy_stop_it_from_any_address(
    client, tenancy, code, organisation, django_capture_on_commit_callbacks, mailoutbox
):
    # given five wrong codes for the tenancy, each from another client address
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for number in range(5):
        client.defaults["REMOTE_ADDR"] = f"203.0.113.{number + 1}"
        assert refused(
            claim(
                client,
                django_capture_on_commit_callbacks,
                code="ABCD-EFGH-JKMN",
                email="x@example.nl",
            )
        )
    other = factories.TenancyFactory(
        dwelling=factories.DwellingFactory(
            organisation=organisation, postcode="5611AB", house_number=14
        ),
        contract_number="HC0012346",
        email="buur@example.nl",
    )

    # when the right code comes from a sixth address, and another tenancy is claimed from it
    client.defaults["REMOTE_ADDR"] = "203.0.113.99"
    blocked = claim(client, django_capture_on_commit_callbacks, code=code, email="a@example.nl")
    neighbour = claim(
        client,
        django_capture_on_commit_callbacks,
        contract_number=other.contract_number,
        house_number="14",
        suffix="",
    )

    # then this tenancy waits; the other is not held up
    assert refused(blocked)
    assert neighbour.status_code == 302
    assert [m.to for m in mailoutbox] == [["buur@example.nl"]]


def test_a_tenancy_gets_at_most_three_links_an_hour_and_the_page_reads_the_same(
    english, tenancy, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given an address on file, and someone who knows the details
    Tenancy.objects.filter(pk=tenancy.pk).update(email="sanne@example.nl")
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=AMSTERDAM), tick=False)

    # when they ask for the link four times within the hour, and once more after it
    asked = [claim(english, django_capture_on_commit_callbacks) for _ in range(4)]
    time_machine.move_to(datetime.datetime(2026, 3, 10, 11, 0, 1, tzinfo=AMSTERDAM), tick=False)
    later = claim(english, django_capture_on_commit_callbacks)

    # then every answer is the "sent" page, but the fourth mails nothing
    assert [r.status_code for r in [*asked, later]] == [302] * 5
    assert len(mailoutbox) == 4
    assert mailoutbox[-1].to == ["sanne@example.nl"]


def test_the_throttle_holds_without_the_cache(
    english, tenancy, code, settings, django_capture_on_commit_callbacks, mailoutbox
):
    # given a cache that keeps nothing (as when Redis is down: every read a miss)
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    for _try in range(5):
        claim(english, django_capture_on_commit_callbacks, contract_number="HC0099999")

    # when
    response = claim(english, django_capture_on_commit_callbacks, code=code, email="a@b.nl")

    # then
    assert refused(response)
    assert mailoutbox == []


def test_old_wrong_tries_are_pruned(tenancy, time_machine):
    # given tries at 09:00 and 09:50
    for minute in (0, 50):
        ClaimAttempt.objects.create(
            client_address=TENANT_IP,
            tenancy=tenancy,
            attempted_at=datetime.datetime(2026, 3, 10, 9, minute, tzinfo=AMSTERDAM),
        )

    # when the sweep runs at 10:30
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 30, tzinfo=AMSTERDAM), tick=False)
    deleted = claim_attempts_prune()

    # then only the one within the hour is kept
    assert deleted == 1
    assert ClaimAttempt.objects.count() == 1


# -- staff: letters, and who claimed when --------------------------------------------------


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


def letters_action(client, tenancies):
    return client.post(
        reverse("admin:portal_tenancy_changelist"),
        {
            "action": "print_activation_letters",
            "_selected_action": [tenancy.pk for tenancy in tenancies],
            "index": 0,
        },
    )


def printed_codes(response) -> list[str]:
    return re.findall(r'<dd class="code">([A-Z0-9-]+)</dd>', response.content.decode())


def test_staff_print_one_letter_whose_code_claims_the_tenancy(
    staff_client, english, tenancy, settings, django_capture_on_commit_callbacks, mailoutbox
):
    # given the portal's public address, and the tenancy's page that links to its letter
    settings.SITE_URL = "https://portaal.kempenland.nl"
    url = reverse("admin:portal_tenancy_activation_letter", args=[tenancy.pk])
    change = staff_client.get(reverse("admin:portal_tenancy_change", args=[tenancy.pk]))
    assert "No code made yet." in change.content.decode()
    assert url in change.content.decode()

    # when staff open it (which makes nothing yet) and confirm
    asked = staff_client.get(url)
    assert ActivationCode.objects.count() == 0
    letter = staff_client.post(url)

    # then the letter names the home, the contract number and one code, valid 30 days
    assert asked.status_code == letter.status_code == 200
    content = letter.content.decode()
    assert "Kerkstraat 12 A" in content
    assert "HC0012345" in content
    (printed,) = printed_codes(letter)
    assert "https://portaal.kempenland.nl/account/activeren/" in content

    # and the tenant claims with it
    response = claim(english, django_capture_on_commit_callbacks, code=printed, email="t@e.nl")
    assert response.status_code == 302
    change = staff_client.get(reverse("admin:portal_tenancy_change", args=[tenancy.pk]))
    assert "A code is valid until" in change.content.decode()


def test_staff_print_letters_for_many_tenancies_on_one_page(
    staff_client, organisation, django_assert_max_num_queries
):
    # given three current unclaimed tenancies and one claimed
    tenancies = factories.TenancyFactory.create_batch(
        3, dwelling__organisation=organisation, organisation=organisation
    )
    claimed = factories.TenancyFactory(
        dwelling__organisation=organisation,
        organisation=organisation,
        tenant=factories.UserFactory(),
    )

    # when staff choose all four and print letters
    response = letters_action(staff_client, [*tenancies, claimed])

    # then one page holds a letter per unclaimed tenancy, each with its own code
    assert response.status_code == 200
    codes = printed_codes(response)
    assert len(codes) == len(set(codes)) == 3
    assert set(ActivationCode.objects.values_list("tenancy_id", flat=True)) == {
        tenancy.pk for tenancy in tenancies
    }
    assert "1 tenancy chosen got no letter" in response.content.decode()


def test_a_letter_for_one_of_two_chosen_says_the_other_got_none(staff_client, organisation):
    # given one unclaimed tenancy and one claimed
    unclaimed = factories.TenancyFactory(
        dwelling__organisation=organisation, organisation=organisation
    )
    claimed = factories.TenancyFactory(
        dwelling__organisation=organisation,
        organisation=organisation,
        tenant=factories.UserFactory(),
    )

    # when both are chosen
    response = letters_action(staff_client, [unclaimed, claimed])

    # then
    assert len(printed_codes(response)) == 1
    assert "1 tenancy chosen got no letter" in response.content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_the_letters_page_asks_the_same_queries_for_1_or_50_tenancies(
    staff_client, organisation, count, django_assert_max_num_queries
):
    # given
    tenancies = factories.TenancyFactory.create_batch(
        count, dwelling__organisation=organisation, organisation=organisation
    )

    # when / then
    with django_assert_max_num_queries(14):
        response = letters_action(staff_client, tenancies)
    assert len(printed_codes(response)) == count


def test_staff_of_another_association_cannot_print_letters_for_a_tenancy(
    english_client, other_staff_user, tenancy
):
    # given staff of B
    client = english_client(other_staff_user)
    url = reverse("admin:portal_tenancy_activation_letter", args=[tenancy.pk])

    # when they open or post A's letter, or choose A's tenancy in their list
    opened = client.get(url)
    posted = client.post(url)
    action = letters_action(client, [tenancy])

    # then A's tenancy is not there for them, and no code is made
    assert (opened.status_code, posted.status_code) == (404, 404)
    assert action.status_code == 302
    assert printed_codes(action) == []
    assert ActivationCode.objects.count() == 0


def test_staff_see_when_and_from_which_address_a_tenancy_was_claimed(
    staff_client, english_client, other_staff_user, tenancy, time_machine
):
    # given a tenancy claimed at 10:00 from 192.0.2.10
    claimed_at = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=AMSTERDAM)
    Tenancy.objects.filter(pk=tenancy.pk).update(
        tenant=factories.UserFactory(email="sanne@example.nl"),
        claimed_at=claimed_at,
        claimed_from_ip=TENANT_IP,
    )

    # when staff open the tenancy, and its dwelling (which lists its tenancies)
    page = staff_client.get(reverse("admin:portal_tenancy_change", args=[tenancy.pk]))
    dwelling_page = staff_client.get(
        reverse("admin:portal_dwelling_change", args=[tenancy.dwelling_id])
    )
    theirs = english_client(other_staff_user).get(
        reverse("admin:portal_tenancy_change", args=[tenancy.pk])
    )

    # then both show the time and the address, read-only; staff of B see nothing of it
    for response in (page, dwelling_page):
        content = response.content.decode()
        assert TENANT_IP in content
        assert "claimed from (IP address)" in content.lower() or "Claimed from" in content
    assert 'name="claimed_from_ip"' not in page.content.decode()
    assert "March 10, 2026, 10 a.m." in page.content.decode()
    assert theirs.status_code == 404


# -- the address on file comes with the tenancies import -----------------------------------


def test_the_tenancies_import_reads_the_address_on_file(
    english_client, staff_user, organisation, media_root
):
    # given a dwelling, and an ERP file with the tenant's address (a header in capitals)
    factories.DwellingFactory(organisation=organisation, reference="VHE000101")
    header = [*TENANCY_HEADER, "E-mailadres"]
    content = erp_csv(
        header,
        [
            ["HC0000001", "VHE000101", "2020-01-01", "", " Sanne.Jansen@Example.nl "],
            ["HC0000002", "VHE000101", "2019-01-01", "2019-12-31", ""],
        ],
    )

    # when it runs as a job
    job = ImportJob.objects.create(
        organisation=organisation, kind="tenancies", file=ContentFile(content, name="t.csv")
    )
    import_job_run(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert dict(Tenancy.objects.values_list("contract_number", "email")) == {
        "HC0000001": "sanne.jansen@example.nl",
        "HC0000002": "",
    }

    # when a later file has a bad address, in the admin's preview
    bad = erp_csv(header, [["HC0000001", "VHE000101", "2020-01-01", "", "sanne@"]])
    response = preview(english_client(staff_user), TENANCY_IMPORT, bad)

    # then the error names the column as the file does
    assert {row.number: row.error_dict for row in response.context["result"].invalid_rows} == {
        1: {"E-mailadres": ["Enter a valid email address."]}
    }
