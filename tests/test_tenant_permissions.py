"""Who may open the tenant's pages: the role matrix of every tenant URL.

Anyone not logged in is sent to the login page; everyone but the owner gets 404 on the
owner's pages, the same answer as for a page that does not exist (DESIGN.md, Multi-tenancy).
"""

import datetime

import pytest
from django.urls import reverse

from contractors.models import ContractorRole
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairRequest

from . import factories


@pytest.fixture
def owned(now, chain, media_root):
    """The owner's request with a planned visit in three days and a photo."""
    repair_request = factories.RepairRequestFactory(
        dwelling=chain.dwelling,
        tenancy=chain.tenancy,
        reported_by=chain.tenant,
        category=chain.category,
        status=Status.SCHEDULED,
        contract=chain.contract,
        contractor=chain.contractor,
    )
    factories.RepairEventFactory(request=repair_request, status=Status.SUBMITTED)
    appointment = factories.AppointmentFactory(
        request=repair_request, slot=chain.slot(days=3, booked=1)
    )
    photo = factories.PhotoFactory(request=repair_request)
    return repair_request, appointment, photo


def urls(chain, repair_request, photo) -> dict[str, str]:
    reference = repair_request.reference
    return {
        "report_start": reverse("report_start"),
        "report_category": reverse("report_category", args=[chain.category.pk]),
        "report_done": reverse("report_done", args=[reference]),
        "my_repairs": reverse("my_repairs"),
        "repair_detail": reverse("repair_detail", args=[reference]),
        "repair_reschedule": reverse("repair_reschedule", args=[reference]),
        "repair_cancel": reverse("repair_cancel", args=[reference]),
        "repair_photo": reverse("repair_photo", args=[reference, photo.pk]),
        "repair_ics": reverse("repair_ics", args=[reference]),
    }


ALL_PAGES = [
    "report_start",
    "report_category",
    "report_done",
    "my_repairs",
    "repair_detail",
    "repair_reschedule",
    "repair_cancel",
    "repair_photo",
    "repair_ics",
]
# Pages about the owner's own request (the report pages and the list are every tenant's own).
REQUEST_PAGES = [
    "report_done",
    "repair_detail",
    "repair_reschedule",
    "repair_cancel",
    "repair_photo",
    "repair_ics",
]


def _contractor_user(chain):
    return factories.ContractorMembershipFactory(
        contractor=chain.contractor, role=ContractorRole.PLANNER
    ).user


def _craftsman(chain):
    return factories.ContractorMembershipFactory(
        contractor=chain.contractor, role=ContractorRole.CRAFTSMAN
    ).user


def _neighbour(chain):
    """A tenant of another home in the same area, who may report there too."""
    return factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=chain.organisation, postcode="5611AB"),
        tenant=factories.UserFactory(),
    ).tenant


def _former_tenant(chain):
    """Rented the same home before; now has no tenancy that runs."""
    return factories.TenancyFactory(
        dwelling=chain.dwelling,
        start_date=datetime.date(2010, 1, 1),
        end_date=datetime.date(2019, 12, 31),
        tenant=factories.UserFactory(),
    ).tenant


@pytest.mark.parametrize("page", ALL_PAGES)
def test_anyone_not_logged_in_is_sent_to_the_login_page(client, chain, owned, page):
    # given
    url = urls(chain, owned[0], owned[2])[page]

    # when
    response = client.get(url)

    # then
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("page", ALL_PAGES)
@pytest.mark.parametrize(
    "make_user",
    [
        lambda chain, other_chain, staff: other_chain.tenant,
        lambda chain, other_chain, staff: _contractor_user(chain),
        lambda chain, other_chain, staff: _craftsman(chain),
        lambda chain, other_chain, staff: staff,
    ],
    ids=["other-associations-tenant", "contractor-planner", "craftsman", "staff"],
)
def test_no_one_but_a_tenant_of_the_association_reaches_a_tenant_page(
    client, chain, other_chain, staff_user, owned, page, make_user
):
    # given a logged-in user who is not a tenant of the owner's association
    user = make_user(chain, other_chain, staff_user)
    client.force_login(user)
    url = urls(chain, owned[0], owned[2])[page]

    # when
    response = client.get(url)

    # then the page is not there for them; a tenant elsewhere sees only their own start and
    # list pages there
    if user == other_chain.tenant and page in ("report_start", "my_repairs"):
        assert response.status_code == 200
        html = response.content.decode()
        assert owned[0].reference not in html
        assert reverse("report_category", args=[chain.category.pk]) not in html
        assert str(chain.dwelling) not in html
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("page", REQUEST_PAGES)
@pytest.mark.parametrize("make_user", [_neighbour, _former_tenant], ids=["neighbour", "former"])
def test_another_tenant_of_the_same_association_cannot_open_the_owners_request(
    client, chain, owned, page, make_user
):
    # given
    client.force_login(make_user(chain))

    # when
    response = client.get(urls(chain, owned[0], owned[2])[page])

    # then
    assert response.status_code == 404


@pytest.mark.parametrize("page", ALL_PAGES)
def test_the_owner_opens_every_tenant_page(client, chain, owned, page):
    # given
    client.force_login(chain.tenant)

    # when
    response = client.get(urls(chain, owned[0], owned[2])[page])

    # then
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("page", "data"),
    [("repair_reschedule", "slot"), ("repair_cancel", "reason")],
)
@pytest.mark.parametrize(
    "make_user",
    [
        lambda chain, other_chain, staff: other_chain.tenant,
        lambda chain, other_chain, staff: _neighbour(chain),
        lambda chain, other_chain, staff: _contractor_user(chain),
        lambda chain, other_chain, staff: staff,
    ],
    ids=["other-associations-tenant", "neighbour", "contractor-planner", "staff"],
)
def test_no_one_but_the_owner_moves_or_cancels_the_visit(
    client, chain, other_chain, staff_user, owned, page, data, make_user
):
    # given another free slot, and someone else logged in
    repair_request, appointment, photo = owned
    free = chain.slot(days=4)
    client.force_login(make_user(chain, other_chain, staff_user))
    fields = {"slot": free.pk} if data == "slot" else {"reason": "Not needed any more."}

    # when they post the form
    response = client.post(urls(chain, repair_request, photo)[page], fields)

    # then it is not there for them, and nothing changed
    assert response.status_code == 404
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED
    assert list(Appointment.objects.values_list("pk", "status")) == [
        (appointment.pk, AppointmentStatus.PLANNED)
    ]
    free.refresh_from_db()
    assert free.booked == 0
    assert RepairRequest.objects.count() == 1
