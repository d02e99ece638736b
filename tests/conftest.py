import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# The whole session at a fixed instant: `pytest --fixed-clock=2027-03-28T07:30+02:00` (a time
# without an offset is read in Amsterdam). The clock keeps ticking from there, and it is one
# clock for the process, so the live server's thread serves at that time too. A test that
# moves the clock itself travels on from it and comes back to it afterwards.


def pytest_addoption(parser):
    parser.addoption(
        "--fixed-clock",
        metavar="ISO-INSTANT",
        default=None,
        help="run every test as if the session started at this instant "
        "(for example 2027-03-28T07:30+02:00; without an offset: Amsterdam time)",
    )


def fixed_clock(config) -> datetime.datetime | None:
    value = config.getoption("fixed_clock", default=None)
    if not value:
        return None
    try:
        instant = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(
            f"--fixed-clock={value}: not an ISO date and time (2027-03-28T07:30+02:00)"
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=AMSTERDAM)


def pytest_configure(config):
    instant = fixed_clock(config)
    if instant is not None:
        # Started before collection, so module constants computed from "now" see it as well.
        traveller = time_machine.travel(instant, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    instant = fixed_clock(config)
    if instant is not None:
        return (
            f"fixed clock: {instant.astimezone(AMSTERDAM):%A %Y-%m-%d %H:%M %Z} (Europe/Amsterdam)"
        )
    return None


@pytest.fixture
def organisation():
    return factories.OrganisationFactory(name="Woonstichting Kempenland", slug="kempenland")


@pytest.fixture
def other_organisation():
    return factories.OrganisationFactory(name="Woonbron Dommeldal", slug="dommeldal")


@pytest.fixture
def staff_user(organisation):
    return factories.StaffUserFactory(email="staff@kempenland.nl", organisation=organisation)


@pytest.fixture
def other_staff_user(other_organisation):
    return factories.StaffUserFactory(email="staff@dommeldal.nl", organisation=other_organisation)


@pytest.fixture
def superuser(db):
    return factories.UserFactory(email="root@ketenportaal.nl", is_staff=True, is_superuser=True)


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")


# Tenant journey: a fixed "now", a chain per association, photos in a temporary folder.

NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def now(time_machine):
    """Tuesday 10 March 2026, 10:00 in Amsterdam (winter time); the clock keeps ticking."""
    time_machine.move_to(NOW, tick=True)
    return NOW


@pytest.fixture
def chain(db, organisation):
    return factories.chain_create(organisation=organisation, tenant_email="huurder@example.nl")


@pytest.fixture
def other_chain(db, other_organisation):
    return factories.chain_create(
        organisation=other_organisation, postcode="5612CD", tenant_email="buurman@example.nl"
    )


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh folder, so a test can see every file written."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def tenant_client(client, chain):
    """The chain's tenant, logged in, reading the portal in English."""
    client.force_login(chain.tenant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# Contractor side: the chain's planner and craftsman, and clients reading English.


@pytest.fixture
def planner(chain):
    return factories.planner_create(
        chain.contractor, email="planner@aannemer.nl", first_name="Petra", last_name="Planner"
    )


@pytest.fixture
def craftsman(chain):
    return factories.craftsman_create(
        chain.contractor, email="vakman@aannemer.nl", first_name="Kees", last_name="Klusser"
    )


@pytest.fixture
def english_client():
    """A new client reading English, logged in as the user given (None: anonymous)."""
    from django.test import Client

    def make(user=None):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def planner_client(english_client, planner):
    return english_client(planner)


@pytest.fixture
def craftsman_client(english_client, craftsman):
    return english_client(craftsman)
