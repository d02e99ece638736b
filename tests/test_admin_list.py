"""A staff change list: 50 rows a page, and each row's checkbox as Django renders it."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from portal.models import Dwelling

from . import factories


@pytest.mark.django_db
def test_dwelling_list_shows_fifty_rows_a_page_and_the_rest_on_the_next(
    client, staff_user, organisation
):
    # given 60 dwellings of the staff user's association
    factories.DwellingFactory.create_batch(60, organisation=organisation)
    client.force_login(staff_user)
    url = reverse("admin:portal_dwelling_changelist")

    # when
    first = client.get(url)
    second = client.get(url, {"p": "2"})

    # then
    assert len(first.context["cl"].result_list) == 50
    assert len(second.context["cl"].result_list) == 10
    assert first.content.decode().count('class="action-select"') == 50


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_row_checkbox_is_the_same_as_djangos_widget(organisation, language):
    # given a dwelling on its scoped admin screen
    dwelling = factories.DwellingFactory(organisation=organisation, street="Kerk<straat>")
    model_admin = admin.site._registry[Dwelling]

    # when
    with translation.override(language):
        ours = model_admin.action_checkbox(dwelling)
        djangos = admin.ModelAdmin.action_checkbox(model_admin, dwelling)

    # then the selection still works, with the same accessible name, escaped
    assert str(ours) == str(djangos)
    assert "Kerk&lt;straat&gt;" in str(ours)
