"""A demo tenant downloads their own data from their pages on a phone (AVG)."""

import json
import zipfile

from playwright.sync_api import expect

from portal.models import Tenancy
from repairs.models import Photo, RepairRequest


def test_a_demo_tenant_downloads_their_data(
    demo, page, switch_to_english, log_in, assert_accessible, tmp_path
):
    # given the demo's tenant of De Kempen, logged in, reading English
    switch_to_english(page, "/account/inloggen/")
    log_in(page, "huurder@example.nl")
    expect(page.get_by_role("heading", name="My repairs")).to_be_visible()

    # when they follow the link to their data and press the download button
    page.get_by_role("link", name="My data: download or read how long we keep it").click()
    expect(page.get_by_role("heading", name="My data")).to_be_visible()
    expect(page.get_by_text("your personal details are removed 24 months after")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    # then the ZIP holds their tenancies, requests and photos, and no one else's
    assert download.suggested_filename.startswith("mijn-gegevens-")
    tenancies = Tenancy.objects.filter(tenant__email="huurder@example.nl")
    references = set(
        RepairRequest.objects.filter(tenancy__in=tenancies).values_list("reference", flat=True)
    )
    with zipfile.ZipFile(saved) as zipped:
        data = json.loads(zipped.read("data.json"))
        photo_files = [name for name in zipped.namelist() if name.startswith("photos/")]
    assert data["account"]["email"] == "huurder@example.nl"
    assert {t["contract_number"] for t in data["tenancies"]} == set(
        tenancies.values_list("contract_number", flat=True)
    )
    assert {r["reference"] for r in data["repair_requests"]} == references
    assert references
    assert len(photo_files) == Photo.objects.filter(request__tenancy__in=tenancies).count()
    others = RepairRequest.objects.exclude(tenancy__in=tenancies).values_list(
        "reference", flat=True
    )
    text = json.dumps(data)
    assert not [reference for reference in others if reference in text]
