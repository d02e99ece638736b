"""The weekly capacity grid as a formset (contractors/forms.py): the page posts only the
cells, named cap_<weekday>_<daypart id>, with no management form; a cell is digits from 0 to
99, spaces around allowed, an empty cell is 0 and is shown again as 0."""

import pytest
from django.utils import translation

from contractors.forms import WeeklyScheduleFormSet
from contractors.models import WeeklySchedule

from . import factories

MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def dayparts(chain):
    return [chain.morning, chain.afternoon]


def test_the_grid_starts_from_the_saved_schedule_with_0_elsewhere(chain, dayparts):
    # given
    factories.WeeklyScheduleFactory(
        area=chain.area,
        contractor=chain.contractor,
        daypart=chain.afternoon,
        weekday=TUESDAY,
        capacity=4,
    )

    # when
    formset = WeeklyScheduleFormSet(dayparts=dayparts, schedules=WeeklySchedule.objects.all())

    # then
    grid = {cell["name"]: cell["value"] for row in formset.rows() for cell in row["cells"]}
    assert len(grid) == 14
    assert grid[f"cap_{TUESDAY}_{chain.afternoon.pk}"] == 4
    assert set(grid.values()) == {0, 4}
    assert [row["weekday"] for row in formset.rows()][:2] == ["Monday", "Tuesday"]


def test_posted_cells_without_a_management_form_give_the_whole_week(chain, dayparts):
    # when only two cells are posted, one with spaces around
    formset = WeeklyScheduleFormSet(
        {f"cap_{MONDAY}_{chain.morning.pk}": " 3 ", f"cap_{WEDNESDAY}_{chain.afternoon.pk}": ""},
        dayparts=dayparts,
    )

    # then the rest of the week is 0
    assert formset.is_valid()
    capacities = formset.capacities()
    assert len(capacities) == 14
    assert capacities[(MONDAY, chain.morning.pk)] == 3
    assert set(capacities.values()) == {0, 3}


@pytest.mark.parametrize("value", ["1.0", "+1", "-0", "٣", "²", "1 2"])
def test_only_plain_digits_count_as_a_number_of_visits(chain, dayparts, value):
    # when
    formset = WeeklyScheduleFormSet(
        {f"cap_{MONDAY}_{chain.morning.pk}": value, f"cap_{TUESDAY}_{chain.morning.pk}": " "},
        dayparts=dayparts,
    )

    # then the cell is refused and shown as typed; the blank one is shown as 0
    assert not formset.is_valid()
    assert formset.errors_by_name() == {
        f"cap_{MONDAY}_{chain.morning.pk}": "Enter a whole number from 0 to 99."
    }
    shown = {cell["name"]: cell["value"] for row in formset.rows() for cell in row["cells"]}
    assert shown[f"cap_{MONDAY}_{chain.morning.pk}"] == value
    assert shown[f"cap_{TUESDAY}_{chain.morning.pk}"] == "0"
