"""Norm times: the working-day calendar (weekends and Dutch public holidays from the
`holidays` package) and the deadlines a request gets when it is routed, per its contract's
norms, on the days where the calendar matters: Easter, King's Day, a change of clocks."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from repairs.norms import (
    end_of_day,
    is_working_day,
    last_day,
    working_day_before,
    working_days_after,
)
from repairs.services import repair_request_assign_contract, repair_request_submit

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC


def at(time_machine, *args) -> datetime.datetime:
    instant = datetime.datetime(*args, tzinfo=AMSTERDAM)
    time_machine.move_to(instant, tick=False)
    return instant


def report(chain, *, urgent: bool = False):
    chain.category.is_emergency = urgent
    chain.category.save(update_fields=["is_emergency"])
    return repair_request_submit(
        dwelling=chain.dwelling,
        category=chain.category,
        description="De kraan lekt.",
        reported_by=chain.tenant,
        tenancy=chain.tenancy,
    )


# -- the calendar -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (datetime.date(2026, 4, 2), True),  # Thursday before Easter
        (datetime.date(2026, 4, 3), False),  # Good Friday, as the package lists it for NL
        (datetime.date(2026, 4, 6), False),  # Easter Monday
        (datetime.date(2026, 4, 27), False),  # King's Day on a Monday
        (datetime.date(2026, 5, 5), True),  # Liberation Day outside a lustrum year
        (datetime.date(2025, 5, 5), False),  # ... and in one
        (datetime.date(2026, 5, 14), False),  # Ascension
        (datetime.date(2026, 12, 26), False),  # Boxing Day (a Saturday too)
        (datetime.date(2026, 12, 28), True),  # the Monday after Christmas
        (datetime.date(2026, 3, 28), False),  # a Saturday
    ],
)
def test_working_days_skip_weekends_and_dutch_public_holidays(day, working):
    assert is_working_day(day) is working


def test_kings_day_moves_to_the_26th_when_the_27th_is_a_sunday():
    # 27 April 2025 was a Sunday: King's Day was Saturday the 26th, so the Friday before and the
    # Monday after are ordinary working days
    assert is_working_day(datetime.date(2025, 4, 25))
    assert is_working_day(datetime.date(2025, 4, 28))
    # counting from that Friday, the lustrum's Liberation Day (Monday 5 May) is skipped
    assert working_days_after(datetime.date(2025, 4, 25), 5) == datetime.date(2025, 5, 2)
    assert working_days_after(datetime.date(2025, 4, 25), 10) == datetime.date(2025, 5, 12)


def test_the_day_of_the_start_never_counts():
    assert working_days_after(datetime.date(2026, 3, 10), 0) == datetime.date(2026, 3, 10)
    assert working_days_after(datetime.date(2026, 3, 10), 1) == datetime.date(2026, 3, 11)
    # from a Saturday the first working day is the Monday
    assert working_days_after(datetime.date(2026, 3, 14), 1) == datetime.date(2026, 3, 16)


def test_one_working_day_before_a_monday_morning_is_the_friday_morning():
    monday = datetime.datetime(2026, 3, 16, 9, 30, tzinfo=AMSTERDAM)
    assert working_day_before(monday) == datetime.datetime(2026, 3, 13, 9, 30, tzinfo=AMSTERDAM)
    # across Easter: the Tuesday after is a working day after the Thursday before
    tuesday = datetime.datetime(2026, 4, 7, 8, 0, tzinfo=AMSTERDAM)
    assert working_day_before(tuesday) == datetime.datetime(2026, 4, 2, 8, 0, tzinfo=AMSTERDAM)


def test_a_deadline_ends_at_midnight_in_amsterdam_summer_or_winter():
    assert end_of_day(datetime.date(2026, 3, 27)) == datetime.datetime(
        2026, 3, 27, 23, 0, tzinfo=UTC
    )
    assert end_of_day(datetime.date(2026, 3, 30)) == datetime.datetime(
        2026, 3, 30, 22, 0, tzinfo=UTC
    )
    assert last_day(end_of_day(datetime.date(2026, 3, 30))) == datetime.date(2026, 3, 30)


# -- deadlines when a request is routed ----------------------------------------------------


def test_a_report_on_the_friday_before_easter(time_machine, chain):
    # given Good Friday 3 April 2026, 10:00; Easter Monday follows
    at(time_machine, 2026, 4, 3, 10, 0)

    # when a tenant reports a repair
    repair_request = report(chain)

    # then the visit is due within 5 working days (Tue 7 .. Mon 13 April), the repair
    # within 10 (.. Monday 20 April), each to the end of that day in Amsterdam (summer time)
    assert repair_request.visit_due_at == datetime.datetime(2026, 4, 13, 22, 0, tzinfo=UTC)
    assert repair_request.complete_due_at == datetime.datetime(2026, 4, 20, 22, 0, tzinfo=UTC)
    repair_request.refresh_from_db()
    assert last_day(repair_request.complete_due_at) == datetime.date(2026, 4, 20)


def test_a_report_on_kings_day(time_machine, chain):
    # given King's Day, Monday 27 April 2026
    at(time_machine, 2026, 4, 27, 9, 0)

    # when
    repair_request = report(chain)

    # then counting starts on Tuesday: visit by Monday 4 May, done by Monday 11 May
    assert last_day(repair_request.visit_due_at) == datetime.date(2026, 5, 4)
    assert last_day(repair_request.complete_due_at) == datetime.date(2026, 5, 11)


def test_a_report_the_friday_before_kings_day_loses_the_monday(time_machine, chain):
    at(time_machine, 2026, 4, 24, 16, 0)

    repair_request = report(chain)

    # Mon 27 April is skipped: 28, 29, 30 April, 1 and 4 May
    assert last_day(repair_request.visit_due_at) == datetime.date(2026, 5, 4)


def test_a_report_across_the_change_to_summer_time(time_machine, chain):
    # given Friday 27 March 2026, 10:00 winter time; clocks go forward on Sunday the 29th
    at(time_machine, 2026, 3, 27, 10, 0)

    # when
    repair_request = report(chain)

    # then the visit is due by Tuesday 7 April (Good Friday and Easter Monday skipped), at
    # midnight summer time: 22:00 UTC, not 23:00
    assert repair_request.visit_due_at == datetime.datetime(2026, 4, 7, 22, 0, tzinfo=UTC)
    assert last_day(repair_request.complete_due_at) == datetime.date(2026, 4, 14)


def test_an_emergency_across_the_change_of_clocks_is_due_24_real_hours_later(time_machine, chain):
    # given Saturday 28 March 2026, 10:00 winter time (09:00 UTC)
    at(time_machine, 2026, 3, 28, 10, 0)

    # when an emergency is reported
    repair_request = report(chain, urgent=True)

    # then the contractor must be there within 24 hours: Sunday 11:00 summer time
    due = datetime.datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
    assert repair_request.visit_due_at == due
    assert repair_request.complete_due_at == due
    assert due.astimezone(AMSTERDAM).hour == 11


def test_the_contracts_own_norms_are_used(time_machine, chain):
    # given a contract with stricter norms
    chain.contract.appointment_working_days = 2
    chain.contract.completion_working_days = 3
    chain.contract.emergency_on_site_hours = 4
    chain.contract.save()
    at(time_machine, 2026, 3, 10, 10, 0)

    # when
    repair_request = report(chain)
    emergency = report(chain, urgent=True)

    # then
    assert last_day(repair_request.visit_due_at) == datetime.date(2026, 3, 12)
    assert last_day(repair_request.complete_due_at) == datetime.date(2026, 3, 13)
    assert emergency.complete_due_at == datetime.datetime(2026, 3, 10, 14, 0, tzinfo=AMSTERDAM)


def test_an_unrouted_request_has_no_deadline_until_staff_assign_it(time_machine, chain, staff_user):
    # given a dwelling no area covers, reported on Tuesday 10 March
    outside = factories.DwellingFactory(organisation=chain.organisation, postcode="9999ZZ")
    at(time_machine, 2026, 3, 10, 10, 0)
    repair_request = repair_request_submit(
        dwelling=outside, category=chain.category, description="Lek.", reported_by=staff_user
    )
    assert repair_request.status == "unrouted"
    assert repair_request.complete_due_at is None

    # when staff assign it by hand on Thursday
    at(time_machine, 2026, 3, 12, 10, 0)
    assigned = repair_request_assign_contract(
        repair_request=repair_request, contract_id=chain.contract.pk, actor=staff_user
    )

    # then its deadline is counted from the report, not from the assignment
    assigned.refresh_from_db()
    assert last_day(assigned.complete_due_at) == datetime.date(2026, 3, 24)


def test_staff_set_the_norm_times_in_the_contract_admin(client, chain, staff_user):
    # given
    client.force_login(staff_user)
    url = reverse("admin:contractors_contract_change", args=[chain.contract.pk])

    # when
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    # then the three norm fields are there with Dutch practice's defaults
    html = page.content.decode()
    assert 'name="emergency_on_site_hours" value="24"' in html
    assert 'name="appointment_working_days" value="5"' in html
    assert 'name="completion_working_days" value="10"' in html


def contract_change(client, contract, **norms):
    data = {
        "organisation": str(contract.organisation_id),
        "contractor": str(contract.contractor_id),
        "area": str(contract.area_id),
        "valid_from": contract.valid_from.isoformat(),
        "valid_until": contract.valid_until.isoformat() if contract.valid_until else "",
        "fee_per_dwelling_year": str(contract.fee_per_dwelling_year),
        "sroi_pledge_percent": str(contract.sroi_pledge_percent),
        "type_fees-TOTAL_FORMS": "0",
        "type_fees-INITIAL_FORMS": "0",
        "type_fees-MIN_NUM_FORMS": "0",
        "type_fees-MAX_NUM_FORMS": "1000",
        "_save": "Save",
        **norms,
    }
    return client.post(
        reverse("admin:contractors_contract_change", args=[contract.pk]),
        data,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_staff_change_the_norm_times_and_new_reports_follow_them(
    client, chain, staff_user, time_machine
):
    # given
    client.force_login(staff_user)

    # when staff set a stricter completion norm
    response = contract_change(
        client,
        chain.contract,
        emergency_on_site_hours="8",
        appointment_working_days="3",
        completion_working_days="6",
    )

    # then it is saved, and a new report is held to it
    assert response.status_code == 302
    chain.contract.refresh_from_db()
    assert (
        chain.contract.emergency_on_site_hours,
        chain.contract.appointment_working_days,
        chain.contract.completion_working_days,
    ) == (8, 3, 6)
    at(time_machine, 2026, 3, 10, 10, 0)
    assert last_day(report(chain).complete_due_at) == datetime.date(2026, 3, 18)


def test_a_completion_norm_before_the_visit_norm_is_refused(client, chain, staff_user):
    client.force_login(staff_user)

    response = contract_change(
        client,
        chain.contract,
        emergency_on_site_hours="24",
        appointment_working_days="5",
        completion_working_days="3",
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": ["Norm times are at least 1, and completion is not before the visit."]
    }
    chain.contract.refresh_from_db()
    assert chain.contract.completion_working_days == 10


def test_an_empty_norm_takes_the_default_and_nonsense_is_refused(client, chain, staff_user):
    client.force_login(staff_user)

    empty = contract_change(client, chain.contract, emergency_on_site_hours="")
    negative = contract_change(client, chain.contract, appointment_working_days="-2")

    assert empty.status_code == 302
    chain.contract.refresh_from_db()
    assert chain.contract.emergency_on_site_hours == 24
    assert negative.status_code == 200
    assert "appointment_working_days" in negative.context["adminform"].form.errors


def test_other_associations_staff_cannot_reach_the_contract(client, chain, other_staff_user):
    client.force_login(other_staff_user)

    response = contract_change(client, chain.contract, completion_working_days="1")

    assert response.status_code in (302, 404)
    chain.contract.refresh_from_db()
    assert chain.contract.completion_working_days == 10
