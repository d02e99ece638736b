"""The confirmation of a visit tells the tenant truthfully whether they can still move or
cancel it in the portal: not when a planner moved it to within 24 hours."""

import pytest

from repairs import notifications

from . import factories


def confirmation(chain, slot, mailoutbox) -> str:
    repair_request = factories.routed_request_create(chain)
    appointment = factories.visit_create(repair_request, slot)
    assert notifications.appointment_confirmation_send(appointment_id=appointment.pk) is True
    (mail,) = [m for m in mailoutbox if m.to == [chain.tenant.email]]
    return " ".join(mail.body.split())


def test_a_visit_moved_to_today_cannot_be_moved_in_the_portal(now, chain, mailoutbox):
    # given a planner moved the visit to this afternoon (it is 10:00)
    chain.contractor.phone = "040 123 45 67"
    chain.contractor.save(update_fields=["phone"])
    this_afternoon = chain.slot(days=0, daypart=chain.afternoon)

    # when the tenant's confirmation is sent
    body = confirmation(chain, this_afternoon, mailoutbox)

    # then
    assert "comes on Tuesday 10 March, afternoon (12:00–17:00)." in body
    assert "until 24 hours before" not in body
    assert (
        "The appointment is less than 24 hours away, so it can no longer be moved or cancelled "
        f"in the portal. Cannot make it after all? Call {chain.contractor.name} on "
        "040 123 45 67."
    ) in body


def test_a_visit_tomorrow_morning_is_within_24_hours_too(now, chain, mailoutbox):
    # when (it is Tuesday 10:00; the visit is Wednesday 08:00)
    body = confirmation(chain, chain.slot(days=1), mailoutbox)

    # then
    assert "no longer be moved or cancelled in the portal" in body


def test_a_visit_days_ahead_can_be_moved_until_24_hours_before(now, chain, mailoutbox):
    # when
    body = confirmation(chain, chain.slot(days=3), mailoutbox)

    # then
    assert "You can move or cancel the appointment in the portal until 24 hours before it." in body
    assert "no longer" not in body


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, "Deze afspraak is over minder dan 24 uur, dus u kunt hem niet meer in het portaal"),
        (3, "Tot 24 uur van tevoren kunt u de afspraak in het portaal verzetten"),
    ],
)
def test_the_dutch_confirmation_says_the_same(now, chain, mailoutbox, days, expected):
    # given a tenant reading Dutch
    chain.tenant.language = "nl"
    chain.tenant.save(update_fields=["language"])
    slot = chain.slot(days=days, daypart=chain.afternoon)

    # when
    body = confirmation(chain, slot, mailoutbox)

    # then
    assert expected in body
