"""The contractor's page of one request shows who the tenant is once: their name and e-mail
address, or the e-mail address alone when the portal knows no name."""

import re

from django.urls import reverse

from tests import factories


def tenant_line(response) -> str:
    """The line under "Address and tenant" with the tenant's mail link, tags removed."""
    html = response.content.decode()
    section = html.split('id="h-address"', 1)[1].split("</section>", 1)[0]
    line = next(p for p in re.findall(r"<p[^>]*>(.*?)</p>", section, re.S) if "mailto:" in p)
    return " ".join(re.sub(r"<[^>]+>", " ", line).split())


def test_a_tenant_without_a_name_is_shown_by_their_e_mail_address_once(chain, planner_client):
    # given a request of a tenant who gave no name
    chain.tenant.first_name = chain.tenant.last_name = ""
    chain.tenant.save(update_fields=["first_name", "last_name"])
    repair_request = factories.routed_request_create(chain)

    # when the planner opens it
    response = planner_client.get(reverse("contractor_request", args=[repair_request.reference]))

    # then the address appears once, as the link to mail the tenant
    assert response.status_code == 200
    assert tenant_line(response) == "huurder@example.nl"
    assert response.content.decode().count("huurder@example.nl") == 2  # the link and its text


def test_a_tenant_with_a_name_is_shown_by_name_and_e_mail_address(chain, planner_client):
    chain.tenant.first_name, chain.tenant.last_name = "Anna", "Jansen"
    chain.tenant.save(update_fields=["first_name", "last_name"])
    repair_request = factories.routed_request_create(chain)

    response = planner_client.get(reverse("contractor_request", args=[repair_request.reference]))

    assert tenant_line(response) == "Anna Jansen · huurder@example.nl"
