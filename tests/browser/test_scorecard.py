"""The area scorecard read on a phone (390 px) and a desktop (1280 px): staff of De Kempen
open a contract's scorecard in the admin, a contractor's planner its own scorecards. Every
text of the scorecards is measured by its Range rectangles: no two may overlap, the page
is no wider than the screen, each trend line is an image with a label and its figures in a
table. A screenshot of each is saved under the test's own folder."""

import pytest
from playwright.sync_api import expect

from contractors.models import Contract

WIDTHS = {390: 844, 1280: 900}

TEXT_BOXES = """
() => {
  const boxes = [];
  for (const [index, card] of document.querySelectorAll("section.scorecard").entries()) {
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
    let node;
    let n = 0;
    while ((node = walker.nextNode())) {
      if (!node.textContent.trim()) continue;
      // what a closed <details> holds is not shown (Chromium still lays it out)
      if (!node.parentElement.checkVisibility({ contentVisibilityAuto: true })) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      n += 1;
      for (const rect of range.getClientRects()) {
        if (rect.width < 1 || rect.height < 1) continue;
        boxes.push({
          id: `${index}-${n}`, text: node.textContent.trim(),
          left: rect.left + scrollX, right: rect.right + scrollX,
          top: rect.top + scrollY, bottom: rect.bottom + scrollY,
        });
      }
    }
  }
  return boxes;
}
"""


def overlaps(boxes: list[dict], tolerance: float = 1.0) -> list[tuple[str, str]]:
    found = []
    for i, one in enumerate(boxes):
        for other in boxes[i + 1 :]:
            if one["id"] == other["id"]:
                continue
            width = min(one["right"], other["right"]) - max(one["left"], other["left"])
            height = min(one["bottom"], other["bottom"]) - max(one["top"], other["top"])
            if width > tolerance and height > tolerance:
                found.append((one["text"], other["text"]))
    return found


@pytest.fixture
def sized_page(browser, live_server, media_root):
    contexts = []

    def make(width: int):
        context = browser.new_context(
            viewport={"width": width, "height": WIDTHS[width]},
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            base_url=live_server.url,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def look_at_the_scorecards(page, path) -> dict:
    expect(page.locator("section.scorecard").first).to_be_visible()
    page.screenshot(path=path, full_page=True)
    boxes = page.evaluate(TEXT_BOXES)
    return {
        "boxes": len(boxes),
        "overlaps": overlaps(boxes),
        "wider_than_screen": page.evaluate(
            "document.documentElement.scrollWidth > window.innerWidth"
        ),
        "unlabelled_lines": page.evaluate(
            "() => [...document.querySelectorAll('svg.scorecard-spark')]"
            ".filter((svg) => svg.getAttribute('role') !== 'img' || !svg.getAttribute('aria-label'))"
            ".length"
        ),
    }


@pytest.mark.parametrize("width", [390, 1280])
def test_staff_read_a_contracts_scorecard(
    now, demo, sized_page, width, switch_to_english, log_in, assert_accessible, tmp_path
):
    # given staff of De Kempen, reading English
    page = sized_page(width)
    switch_to_english(page)
    log_in(page, "medewerker@dekempen.nl")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    centrum = Contract.objects.get(area__name="Centrum")

    # when they open the area scorecards and the Centrum contract's
    page.goto("/admin/surveys/contractscorecard/")
    page.get_by_role("link", name="Kempen Installatietechniek – Centrum").click()
    seen = look_at_the_scorecards(page, tmp_path / f"scorecard-staff-{width}.png")

    # then the contract's figures, none overlapping, none off the screen
    expect(
        page.get_by_role("heading", name="Kempen Installatietechniek – Centrum").first
    ).to_be_visible()
    assert page.url.endswith(f"/admin/surveys/contractscorecard/{centrum.pk}/change/")
    assert page.locator("li.scorecard-figure").count() == 16
    assert seen["boxes"] > 60
    assert {key: value for key, value in seen.items() if key != "boxes" and value} == {}
    # each trend line has its figures in a table, opened on request
    first = page.locator("li.scorecard-figure").first
    first.get_by_text("Per period").click()
    expect(first.locator("table tr")).to_have_count(8)
    assert_accessible(page)

    # and the period can be changed to the year
    page.get_by_label("Quarter or year").select_option(label=str(now.year))
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".scorecard-meta").first).to_contain_text(f"· {now.year}")


@pytest.mark.parametrize("width", [390, 1280])
def test_a_contractor_reads_its_own_scorecards(
    now, demo, sized_page, width, switch_to_english, log_in, assert_accessible, tmp_path
):
    # given the planner of Van den Berg Onderhoud (Noord, and Maasoever), reading English
    page = sized_page(width)
    switch_to_english(page)
    log_in(page, "planner@vandenberg.nl")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # when they open their scorecards
    page.goto("/aannemer/kpi/scorecard/")
    seen = look_at_the_scorecards(page, tmp_path / f"scorecard-contractor-{width}.png")

    # then one per association, labelled with it, nothing overlapping
    metas = page.locator(".scorecard-meta").all_text_contents()
    assert len(metas) == 2
    assert any("Woonstichting De Kempen" in meta for meta in metas)
    assert any("Woonbron Maasoever" in meta for meta in metas)
    assert {key: value for key, value in seen.items() if key != "boxes" and value} == {}
    assert_accessible(page)
