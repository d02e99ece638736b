"""The area scorecard read on a phone (390 px) and a desktop (1280 px): staff of De Kempen
open a contract's scorecard in the admin, a contractor's planner its own scorecards. Every
text of the scorecards is measured by its Range rectangles: no two may overlap, the page
is no wider than the screen, each trend line is a Chart.js chart drawn on a canvas (an image
with a label) and its figures are in a table, and the page breaks no rule of the
Content-Security-Policy. Without JavaScript the figures and their tables are still there. A
screenshot of each is saved under the test's own folder."""

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


# Every trend line: its canvas, its size, whether Chart.js drew a chart on it, its label.
SPARKLINES = """
() => [...document.querySelectorAll("li.scorecard-figure canvas")].map((canvas) => {
  const rect = canvas.getBoundingClientRect();
  const chart = window.Chart && window.Chart.getChart(canvas);
  return {
    width: rect.width, height: rect.height,
    chart: Boolean(chart), type: chart ? chart.config.type : null,
    points: chart ? chart.data.datasets[0].data.length : 0,
    role: canvas.getAttribute("role"), label: canvas.getAttribute("aria-label") || "",
  };
})
"""
REPORT = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(`${event.violatedDirective} ${event.blockedURI}`);
});
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
    """A page of the given width; `page.csp_violations` collects what broke the policy."""
    contexts = []

    def make(width: int, javascript: bool = True):
        context = browser.new_context(
            viewport={"width": width, "height": WIDTHS[width]},
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            base_url=live_server.url,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(10_000)
        violations: list[str] = []
        context.expose_binding("__cspViolation", lambda _source, found: violations.append(found))
        context.add_init_script(script=REPORT)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text and violations.append(message.text)
            ),
        )
        page.on("pageerror", lambda error: violations.append(str(error)))
        page.csp_violations = violations
        return page

    yield make
    for context in contexts:
        context.close()


def look_at_the_scorecards(page, path) -> dict:
    expect(page.locator("section.scorecard").first).to_be_visible()
    # every trend line drawn by Chart.js, once the deferred scripts ran
    page.wait_for_function(
        "() => [...document.querySelectorAll('li.scorecard-figure canvas')]"
        ".every((canvas) => window.Chart && window.Chart.getChart(canvas))"
    )
    page.screenshot(path=path, full_page=True)
    boxes = page.evaluate(TEXT_BOXES)
    lines = page.evaluate(SPARKLINES)
    tables = page.locator("li.scorecard-figure details table").count()
    found = {
        "overlaps": overlaps(boxes),
        "wider_than_screen": page.evaluate(
            "document.documentElement.scrollWidth > window.innerWidth"
        ),
        "csp_violations": page.csp_violations,
        "svg_lines": page.locator("li.scorecard-figure svg").count(),
        "undrawn_lines": [
            line
            for line in lines
            if not (line["chart"] and line["type"] == "line" and line["points"] > 1)
            or line["width"] < 1
            or line["height"] < 1
        ],
        "unlabelled_lines": [line for line in lines if line["role"] != "img" or not line["label"]],
        "lines_without_table": len(lines) != tables,
    }
    return {
        "boxes": len(boxes),
        "lines": len(lines),
        "problems": {k: v for k, v in found.items() if v},
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
    assert seen["lines"] >= 10
    assert seen["problems"] == {}
    # the trend line states its figures in words
    label = page.locator("li.scorecard-figure canvas").first.get_attribute("aria-label")
    assert "over the last periods:" in label
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
    assert seen["lines"] > 0
    assert seen["problems"] == {}
    assert_accessible(page)


def test_the_scorecards_read_without_javascript(demo, sized_page, log_in, switch_to_english):
    # given the planner of Van den Berg Onderhoud, logged in, in a browser without JavaScript
    page = sized_page(390)
    switch_to_english(page)
    log_in(page, "planner@vandenberg.nl")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    cookies = page.context.cookies()
    page = sized_page(390, javascript=False)
    page.context.add_cookies(cookies)

    # when they open their scorecards
    page.goto("/aannemer/kpi/scorecard/")

    # then the figures and each trend's table of periods are there, no empty room for a line
    expect(page.locator("section.scorecard").first).to_be_visible()
    assert page.locator("li.scorecard-figure").count() > 10
    details = page.locator("li.scorecard-figure details")
    assert details.count() > 0
    details.first.get_by_text("Per period").click()
    expect(details.first.locator("table tr").first).to_be_visible()
    expect(page.locator(".scorecard-spark").first).to_be_hidden()
