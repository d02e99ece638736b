"""The staff's start page on a phone (390 px) and a desktop (1280 px): after logging in, staff
see what needs them today, each count with its words, and this quarter's scorecard of each
contract, nothing overlapping and nothing wider than the screen; a count opens the list of
exactly those rows.

A screenshot of each width is saved in the test's temporary folder."""

import json
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests import factories
from tests.test_staff_start import KINDS, work_make

HEIGHTS = {390: 844, 1280: 900}

# Every text of the start page's section by the rectangles of its text nodes, in page
# coordinates, and the section's elements that reach past the right edge of the screen.
TEXT_BOXES = """
() => {
  const boxes = [];
  const section = document.querySelector("section.staff-start");
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  let node;
  let n = 0;
  while ((node = walker.nextNode())) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    n += 1;
    for (const rect of range.getClientRects()) {
      if (rect.width < 1 || rect.height < 1) continue;
      boxes.push({
        id: n, text: node.textContent.trim(),
        left: rect.left + scrollX, right: rect.right + scrollX,
        top: rect.top + scrollY, bottom: rect.bottom + scrollY,
      });
    }
  }
  const wider = [...section.querySelectorAll("*")]
    .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((element) => element.className || element.tagName);
  return {boxes, wider};
}
"""


def overlaps(boxes: list[dict], tolerance: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes share more than `tolerance` px in both directions."""
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
    cache.clear()  # the scorecard rows are cached per set of associations
    contexts = []

    def make(width: int, locale: str = "en-GB"):
        context = browser.new_context(
            viewport={"width": width, "height": HEIGHTS[width]},
            locale=locale,
            timezone_id="Europe/Amsterdam",
            base_url=live_server.url,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_staff_see_what_needs_them_and_follow_a_count_to_its_rows(
    now, chain, other_chain, staff_user, sized_page, width, tmp_path, assert_accessible
):
    # given work of every kind at the staff user's association, and more at another one
    for key in KINDS:
        work_make(chain, key)
    work_make(chain, "late")
    work_make(other_chain, "late")
    page = sized_page(width)

    # when they log in
    page.goto("/account/inloggen/")
    page.get_by_label("E-mail address").fill(staff_user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()

    # then the first page says what needs them today, each count with its words
    expect(page.get_by_role("heading", name="What needs you today")).to_be_visible()
    page.screenshot(path=tmp_path / f"staff-start-{width}.png", full_page=True)
    counts = page.locator("ul.staff-start-counts li a")
    assert [" ".join(text.split()) for text in counts.all_inner_texts()] == [
        "1 Unrouted requests",
        "1 Emergencies not confirmed by the contractor",
        "2 Late against the norm",
        "1 Grades of 5 or lower to follow up",
        "1 Imports that failed",
        "1 Messages that failed to send",
    ]
    # and this quarter's scorecard of their contract in a line, its statuses in words
    scorecard = page.locator("ul.staff-start-cards li")
    expect(scorecard).to_have_count(1)
    expect(scorecard.get_by_role("link")).to_have_text(
        f"{chain.contractor.name} – {chain.area.name}"
    )
    expect(scorecard).to_contain_text(re.compile(r"\d+ figures? on target"))
    expect(scorecard).to_contain_text(re.compile(r"\d+ just off target"))
    expect(scorecard).to_contain_text(re.compile(r"\d+ off target"))
    # and no two texts overlap, nothing is wider than the screen
    seen = page.evaluate(TEXT_BOXES)
    problems = {
        "overlapping": overlaps(seen["boxes"]),
        "wider than the screen": seen["wider"],
        "page scrolls sideways": page.evaluate(
            "document.documentElement.scrollWidth > window.innerWidth"
        ),
    }
    assert len(seen["boxes"]) >= 12
    assert {key: value for key, value in problems.items() if value} == {}, json.dumps(
        problems, indent=2
    )
    # and every screen is still listed below the counts
    expect(page.get_by_role("heading", name="All screens")).to_be_visible()
    expect(page.get_by_role("link", name="Repair requests", exact=True).first).to_be_attached()
    assert_accessible(page)

    # when they follow the count of late repairs
    page.get_by_role("link", name=re.compile(r"^2 Late against the norm")).click()

    # then the list shows exactly those two requests, of their own association
    expect(page).to_have_url(re.compile(r"/admin/repairs/repairrequest/\?norm=late$"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    page.screenshot(path=tmp_path / f"staff-start-late-{width}.png", full_page=True)


def test_the_start_page_reads_dutch_on_a_phone(now, chain, staff_user, sized_page):
    # given
    work_make(chain, "unrouted")
    page = sized_page(390, locale="nl-NL")

    # when
    page.goto("/account/inloggen/")
    page.get_by_label("E-mailadres").fill(staff_user.email)
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Inloggen").click()

    # then
    expect(page.get_by_role("heading", name="Wat vandaag op u wacht")).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile(r"^1 Niet toegewezen verzoeken"))
    ).to_be_visible()
