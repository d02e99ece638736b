import json

from portal.models import Tenancy
from repairs.models import RepairCategory, RepairRequest


def test_probe(demo, page, log_in, page_problems):
    tenancy = Tenancy.objects.get(tenant__email="huurder@example.nl", end_date=None)

    def url(name):
        return f"/melden/{RepairCategory.objects.get(organisation_id=tenancy.organisation_id, name_en=name).pk}/"

    out = {}
    page.goto("/")
    out["home"] = page_problems(page)
    page.goto("/account/activeren/")
    page.locator("button[type=submit]").last.click()
    out["claim"] = page_problems(page)
    log_in(page, "huurder@example.nl")
    out["mine"] = page_problems(page)
    page.goto("/melden/")
    out["start"] = page_problems(page)
    for n in ["Kitchen tap leaks", "Major water leak", "Replacing a light bulb"]:
        page.goto(url(n))
        out[n] = page_problems(page)
    page.goto(url("Kitchen tap leaks"))
    page.screenshot(path="/tmp/shots/nl_form.png", full_page=True)
    ref = RepairRequest.objects.filter(tenancy=tenancy).order_by("-pk").first().reference
    page.goto(f"/mijn-reparaties/{ref}/")
    out["detail"] = page_problems(page)
    page.screenshot(path="/tmp/shots/nl_detail.png", full_page=True)
    print(json.dumps(out, indent=1))
