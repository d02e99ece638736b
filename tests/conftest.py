import pytest
from django.db import connection

from . import factories


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
