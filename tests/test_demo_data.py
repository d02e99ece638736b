import io
import re
import zoneinfo
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from contractors.models import Area, Contract, Contractor, ContractTypeFee
from contractors.routing import route
from demo.due_visits import DESCRIPTION as DUE_VISIT_DESCRIPTION
from demo.history import HISTORY_DESCRIPTION
from demo.world import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    FULL_POSTCODE_RULES,
    UNCOVERED_REFERENCE,
)
from portal.models import Dwelling, Organisation, Tenancy, User
from portal.postcode import normalise_postcode
from repairs import vera
from repairs.lifecycle import Status
from repairs.models import RepairCategory, RepairRequest, Responsibility
from surveys.models import SurveyResponse

README = Path(__file__).resolve().parent.parent / "README.md"
LOGIN_ROW = re.compile(
    r"^\|\s*(?P<who>[^|`]+?)\s*\|\s*`(?P<email>[^`]+)`\s*\|\s*`(?P<password>[^`]+)`\s*\|$"
)

pytestmark = pytest.mark.django_db


AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


def run_demo_data() -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


def readme_logins() -> list[tuple[str, str, str]]:
    """(who, e-mail, password) of every row of the README's demo-login table."""
    text = README.read_text(encoding="utf-8")
    assert "<!-- demo-logins -->" in text and "<!-- /demo-logins -->" in text
    block = text.split("<!-- demo-logins -->", 1)[1].split("<!-- /demo-logins -->", 1)[0]
    rows = []
    for line in block.splitlines():
        match = LOGIN_ROW.match(line.strip())
        if match:
            rows.append((match["who"], match["email"], match["password"]))
    return rows


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table, so a second run can be compared field by field."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
    }


def test_demo_data_fills_an_empty_database():
    # given an empty database
    assert Organisation.objects.count() == 0

    # when the demo data is written
    output = run_demo_data()

    # then there are two associations, the first with three areas, each under one contract
    kempen = Organisation.objects.get(slug="dekempen")
    maasoever = Organisation.objects.get(slug="maasoever")
    assert Organisation.objects.count() == 2
    assert kempen.emergency_phone and kempen.mail_from and kempen.contact_email
    assert maasoever.emergency_phone and maasoever.mail_from and maasoever.contact_email
    assert sorted(Area.objects.filter(organisation=kempen).values_list("name", flat=True)) == [
        "Centrum",
        "Noord",
        "Zuid",
    ]
    assert Area.objects.filter(organisation=maasoever).count() == 1
    today = timezone.localdate()
    kempen_contracts = Contract.objects.filter(organisation=kempen).valid_on(today)
    assert kempen_contracts.count() == 3
    assert {c.area.name for c in kempen_contracts} == {"Centrum", "Noord", "Zuid"}
    assert len({c.contractor_id for c in kempen_contracts}) == 3
    assert ContractTypeFee.objects.filter(organisation=kempen).count() == 4
    maasoever_contract = Contract.objects.get(organisation=maasoever)
    assert maasoever_contract.contractor_id in {c.contractor_id for c in kempen_contracts}
    assert Contractor.objects.count() == 3
    assert all(
        re.fullmatch(r"[0-9]{8}", k)
        for k in Contractor.objects.values_list("kvk_number", flat=True)
    )

    # and the dwellings, with normalised postcodes, tenancies and a few claimed accounts
    assert Dwelling.objects.filter(organisation=kempen).count() == 630
    assert Dwelling.objects.filter(organisation=maasoever).count() == 63
    assert Dwelling.objects.filter(is_vacant=True).count() == 27
    assert Dwelling.objects.filter(in_portfolio_until__lt=today).count() == 17
    assert Dwelling.objects.filter(in_portfolio_until__gt=today).count() == 20
    assert set(
        Dwelling.objects.exclude(house_number_suffix="").values_list(
            "house_number_suffix", flat=True
        )
    ) >= {"A", "B", "bis"}
    for postcode in Dwelling.objects.values_list("postcode", flat=True):
        assert normalise_postcode(postcode) == postcode
    assert Tenancy.objects.filter(organisation=kempen).count() == 753
    assert Tenancy.objects.filter(organisation=maasoever).count() == 75
    claimed = Tenancy.objects.filter(tenant__isnull=False)
    assert claimed.count() == 6
    assert not claimed.filter(claimed_at__isnull=True).exists()
    assert {t.tenant.email for t in claimed} >= {
        "huurder@example.nl",
        "huurder2@example.nl",
        "huurder3@example.nl",
    }

    # and a VERA-coded catalogue per association, with tenant jobs and emergencies
    for organisation in (kempen, maasoever):
        # (the demo project's visits have a category of their own, not offered to tenants)
        categories = RepairCategory.objects.filter(organisation=organisation).exclude(
            name_nl="Gepland onderhoud", is_active=False
        )
        assert categories.count() == 60
        tenant_jobs = categories.filter(responsibility=Responsibility.TENANT)
        assert tenant_jobs.count() == 9
        assert not tenant_jobs.filter(tenant_advice_nl="").exists()
        assert not tenant_jobs.filter(tenant_advice_en="").exists()
        emergencies = categories.filter(is_emergency=True)
        assert emergencies.count() == 7
        assert set(emergencies.values_list("responsibility", flat=True)) == {"landlord"}
        assert {"GAS", "LEK", "STO", "SDE", "PER"} <= set(
            emergencies.values_list("defect_code", flat=True)
        )
        for category in categories:
            assert category.room_code in vera.codes(vera.ROOM)
            assert category.defect_code in vera.codes(vera.DEFECT)
            assert category.trade_code in vera.codes(vera.TRADE)
            assert category.name_nl and category.name_en

    # and a history of reports, one of them unrouted
    # (the orders of the demo project's visits are planned work, not reports: demo.projects;
    # each contractor's visit to record today is added apart: demo.due_visits)
    recent = (
        RepairRequest.objects.exclude(description=HISTORY_DESCRIPTION)
        .exclude(description=DUE_VISIT_DESCRIPTION)
        .filter(maintenance_kind="REP")
    )
    # (the former tenant's repairs, anonymised under the retention, aside: demo.privacy)
    assert recent.exclude(tenancy__anonymised_at__isnull=False).count() == 33
    assert recent.filter(organisation=maasoever).count() == 4
    assert RepairRequest.objects.filter(status=Status.UNROUTED).count() == 1

    # and a year of completed repairs with answers: every contract, each of the last 12 months
    history = RepairRequest.objects.filter(description=HISTORY_DESCRIPTION)
    assert not history.exclude(status=Status.COMPLETED).exists()
    months = {
        (contract, reported.astimezone(AMSTERDAM).strftime("%Y-%m"))
        for contract, reported in history.values_list("contract_id", "created_at")
    }
    assert len(months) == 4 * 12
    answered = SurveyResponse.objects.values_list("invitation__request__contract_id", flat=True)
    assert set(answered) == {contract for contract, _month in months}
    assert not RepairRequest.objects.filter(created_at__gt=timezone.now()).exists()

    # and the summary names every login and the password
    for _who, email in DEMO_LOGINS:
        assert email in output
    assert DEMO_PASSWORD in output


def test_every_covered_dwelling_routes_and_the_uncovered_one_waits():
    # given the demo data
    run_demo_data()
    today = timezone.localdate()
    kempen = Organisation.objects.get(slug="dekempen")

    # when every dwelling of the first association is routed
    routed = {
        dwelling.reference: (dwelling, route(dwelling, today))
        for dwelling in Dwelling.objects.filter(organisation=kempen)
    }

    # then all but the deliberately uncovered one find a contract
    uncovered = [ref for ref, (_dwelling, contract) in routed.items() if contract is None]
    assert uncovered == [UNCOVERED_REFERENCE]
    # and a full-postcode rule beats the range its postcode falls in
    for _slug, postcode, area_name in FULL_POSTCODE_RULES:
        covered = [
            contract for dwelling, contract in routed.values() if dwelling.postcode == postcode
        ]
        assert covered
        assert {contract.area.name for contract in covered} == {area_name}
    # and the report for the uncovered dwelling waits as unrouted, the others are routed
    unrouted = RepairRequest.objects.get(status=Status.UNROUTED)
    assert unrouted.dwelling.reference == UNCOVERED_REFERENCE
    assert unrouted.contract is None
    others = RepairRequest.objects.exclude(pk=unrouted.pk)
    assert not others.filter(contract__isnull=True).exists()


def test_running_twice_changes_nothing():
    # given the demo data, written once
    run_demo_data()
    before = snapshot()

    # when the command runs again
    output = run_demo_data()

    # then every table holds exactly the same rows
    after = snapshot()
    assert {label: len(rows) for label, rows in after.items()} == {
        label: len(rows) for label, rows in before.items()
    }
    assert after == before
    assert "nothing added" in output


def test_every_readme_login_logs_in(client):
    # given the demo data and the logins the README lists
    run_demo_data()
    logins = readme_logins()

    # then the README lists exactly the command's logins, with its password
    assert logins, "the README's demo-logins table is empty: write it from DEMO_LOGINS"
    assert len(logins) == len(DEMO_LOGINS)
    assert {email for _who, email, _password in logins} == {email for _who, email in DEMO_LOGINS}
    assert {password for _who, _email, password in logins} == {DEMO_PASSWORD}

    for _who, email, password in logins:
        # when that person logs in
        user = User.objects.get(email=email)
        validate_password(password, user)
        logged_in = client.login(
            request=RequestFactory().get("/"), username=email, password=password
        )

        # then it works, and staff reach the admin
        assert logged_in, email
        if user.is_staff:
            assert client.get("/admin/").status_code == 200, email
        client.logout()

    staff = {email for _who, email, _pw in logins if User.objects.get(email=email).is_staff}
    assert staff == {"beheer@ketenportaal.nl", "medewerker@dekempen.nl", "medewerker@maasoever.nl"}


def test_an_unclaimed_demo_tenancy_is_claimed_through_its_address_on_file(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    # given the demo data: most current tenancies have an address on file, some none
    run_demo_data()
    today = timezone.localdate()
    unclaimed = Tenancy.objects.filter(tenant__isnull=True, start_date__lte=today).exclude(
        end_date__lt=today
    )
    assert unclaimed.exclude(email="").exists()
    assert unclaimed.filter(email="").exists()
    tenancy = unclaimed.exclude(email="").select_related("dwelling").order_by("pk").first()
    home = tenancy.dwelling

    # when someone claims it with its contract number and address
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("claim"),
            {
                "contract_number": tenancy.contract_number,
                "postcode": home.postcode,
                "house_number": str(home.house_number),
                "suffix": home.house_number_suffix,
                "code": "",
                "email": "",
            },
        )

    # then the link goes to the address the association has on file, and nowhere else
    assert response.status_code == 302
    assert [message.to for message in mailoutbox] == [[tenancy.email]]
