"""The KPI charts read at a glance, on a phone (390 px) and on a desktop (1280 px): the staff
dashboard and a contractor's own figures, drawn by Chart.js from the demo's year of work.

Chart.js draws on a canvas, so its axis labels are no DOM text. The test therefore records
every text the page draws on a canvas (an init script wraps the canvas context's fillText and
strokeText before any script of the page runs, and measures each text as drawn, with the
context's transform), and takes every DOM text of the charts (the titles, the HTML legend
with the full names, and the tables of figures, opened) by its Range rectangles, less what is
scrolled out of view. No two of all these boxes may overlap, each canvas text must lie inside
its canvas (a "10" drawn half outside would read "1"), and none may be squeezed narrower to fit
(Chart.js does that to a title given too little room). Neither a chart nor the page may be
wider than the screen. This measures what a person sees, whichever way Chart.js lays out its
labels.

A screenshot of each page and width is saved under var/screenshots/ (not committed)."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {390: 844, 1280: 900}

# Runs before the page's scripts: every text drawn on a canvas, with its box in the canvas's
# pixels (a full clear of the canvas starts a new drawing); CSP violations and errors too.
RECORD = """
(() => {
  const drawn = new WeakMap();
  window.__kpiProblems = [];
  window.__kpiSqueezed = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__kpiProblems.push(`CSP ${event.violatedDirective}: ${event.blockedURI}`);
  });
  window.addEventListener("error", (event) => window.__kpiProblems.push(String(event.message)));
  window.__canvasTexts = (canvas) => drawn.get(canvas) || [];
  const proto = CanvasRenderingContext2D.prototype;
  function record(context, text, x, y, maxWidth) {
    const metrics = context.measureText(text);
    const left = metrics.actualBoundingBoxLeft;
    const right = metrics.actualBoundingBoxRight;
    if (maxWidth !== undefined && left + right > maxWidth + 0.5) {
      window.__kpiSqueezed.push(String(text));
    }
    const top = y - metrics.actualBoundingBoxAscent;
    const bottom = y + metrics.actualBoundingBoxDescent;
    const m = context.getTransform();
    const corners = [[x - left, top], [x + right, top], [x - left, bottom], [x + right, bottom]]
      .map(([px, py]) => [m.a * px + m.c * py + m.e, m.b * px + m.d * py + m.f]);
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    if (!drawn.has(context.canvas)) drawn.set(context.canvas, []);
    drawn.get(context.canvas).push({
      text: String(text),
      left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys),
    });
  }
  for (const name of ["fillText", "strokeText"]) {
    const original = proto[name];
    proto[name] = function (text, x, y, maxWidth) {
      record(this, text, x, y, maxWidth);
      return original.apply(this, arguments);
    };
  }
  const clearRect = proto.clearRect;
  proto.clearRect = function (x, y, width, height) {
    if (x <= 0 && y <= 0 && width >= this.canvas.width && height >= this.canvas.height) {
      drawn.set(this.canvas, []);
    }
    return clearRect.apply(this, arguments);
  };
})();
"""

# The text boxes of the charts in page coordinates: canvas texts scaled from the canvas's
# pixels to its box on the page; DOM texts by the rectangles of their text nodes.
TEXT_BOXES = """
() => {
  // The part of a text's rectangle that is not scrolled out of view in a scrolling box (a
  // table wider than its chart scrolls sideways); null when nothing of it shows.
  function visible(element, rect) {
    let { left, right, top, bottom } = rect;
    for (let box = element; box; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX !== "visible" || style.overflowY !== "visible") {
        const clip = box.getBoundingClientRect();
        left = Math.max(left, clip.left);
        right = Math.min(right, clip.right);
        top = Math.max(top, clip.top);
        bottom = Math.min(bottom, clip.bottom);
      }
    }
    return right - left >= 1 && bottom - top >= 1 ? { left, right, top, bottom } : null;
  }
  const boxes = [];
  const outside = [];
  for (const [index, figure] of document.querySelectorAll("figure.kpi-chart").entries()) {
    const walker = document.createTreeWalker(figure, NodeFilter.SHOW_TEXT);
    let node;
    let n = 0;
    while ((node = walker.nextNode())) {
      if (!node.textContent.trim() || node.parentElement.closest("script")) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      n += 1;
      for (const whole of range.getClientRects()) {
        const rect = visible(node.parentElement, whole);
        if (!rect) continue;
        boxes.push({
          chart: index, source: "html", id: `html-${index}-${n}`, text: node.textContent.trim(),
          left: rect.left + scrollX, right: rect.right + scrollX,
          top: rect.top + scrollY, bottom: rect.bottom + scrollY,
        });
      }
    }
    const canvas = figure.querySelector("canvas");
    if (!canvas) continue;
    const rect = canvas.getBoundingClientRect();
    const scale = rect.width / canvas.width;
    window.__canvasTexts(canvas).forEach((text, i) => {
      const box = {
        chart: index, source: "canvas", id: `canvas-${index}-${i}`, text: text.text,
        left: rect.left + scrollX + text.left * scale, right: rect.left + scrollX + text.right * scale,
        top: rect.top + scrollY + text.top * scale, bottom: rect.top + scrollY + text.bottom * scale,
      };
      boxes.push(box);
      if (box.left < rect.left + scrollX - 0.5 || box.right > rect.right + scrollX + 0.5
          || box.top < rect.top + scrollY - 0.5 || box.bottom > rect.bottom + scrollY + 0.5) {
        outside.push(box);
      }
    });
  }
  return {boxes, outside};
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
                found.append(
                    (f"{one['source']}:{one['text']}", f"{other['source']}:{other['text']}")
                )
    return found


def canvas_texts(page, key: str) -> list[str]:
    return page.evaluate(
        "(id) => window.__canvasTexts(document.querySelector(`canvas[data-kpi-chart='${id}']`))"
        ".map((text) => text.text)",
        f"kpi-chart-{key}-data",
    )


def chart_data(page, key: str) -> dict:
    return json.loads(page.locator(f"#kpi-chart-{key}-data").text_content())


@pytest.fixture
def chart_page(browser, live_server, media_root):
    """A page of the given width (in Dutch until switched), recording canvas texts and CSP violations."""
    contexts = []

    def make(width: int):
        context = browser.new_context(
            viewport={"width": width, "height": WIDTHS[width]},
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            base_url=live_server.url,
        )
        context.set_default_timeout(10_000)
        context.add_init_script(script=RECORD)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def look_at_the_charts(page, name: str, width: int) -> dict:
    """Wait until every chart is drawn, open the tables, save a screenshot, and return what
    a reader would trip over."""
    expect(page.locator("figure.kpi-chart").first).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-kpi-chart]')].every("
        "(canvas) => window.Chart && Chart.getChart(canvas) && window.__canvasTexts(canvas).length)"
    )
    for summary in page.locator("details.kpi-chart-figures > summary").all():
        summary.click()
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50)))")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"kpi-charts-{name}-{width}.png", full_page=True)
    found = page.evaluate(TEXT_BOXES)
    return {
        "overlapping": overlaps(found["boxes"]),
        "outside the canvas": [box["text"] for box in found["outside"]],
        # Chart.js squeezes a text narrower than it is when given too little room
        "squeezed": page.evaluate("window.__kpiSqueezed"),
        "problems": page.evaluate("window.__kpiProblems"),
        "page scrolls sideways": page.evaluate(
            "document.documentElement.scrollWidth > window.innerWidth"
        ),
        "wider than the screen": page.evaluate(
            "() => [...document.querySelectorAll('figure.kpi-chart, figure.kpi-chart canvas')]"
            ".filter((element) => element.getBoundingClientRect().right > window.innerWidth)"
            ".map((element) => element.className || element.tagName)"
        ),
        "boxes": len(found["boxes"]),
    }


@pytest.mark.parametrize("width", [390, 1280])
def test_the_staff_dashboards_charts_read_at_a_glance(
    now, demo, chart_page, width, switch_to_english, log_in, assert_accessible
):
    # given staff of De Kempen, reading English
    page = chart_page(width)
    switch_to_english(page)
    log_in(page, "medewerker@dekempen.nl")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # when they open the KPI dashboard
    page.goto("/admin/surveys/kpidashboard/")
    seen = look_at_the_charts(page, "dashboard", width)

    # then the charts, each with its title, legend, canvas and table
    titles = page.locator("figure.kpi-chart h2").all_text_contents()
    assert titles == [
        "Mean grade per contractor",
        "First-time-fix rate per contractor",
        "Completed within norm per contractor",
        "Open requests by age",
    ]
    # and the legend names every contractor of the series in full
    grade = chart_data(page, "grade")
    legend = page.locator("figure.kpi-chart").first.locator(".kpi-chart-legend li")
    assert [name.strip() for name in legend.all_text_contents()] == [
        series["label"] for series in grade["series"]
    ]
    assert len(grade["series"]) >= 2
    assert all(" " in series["label"] for series in grade["series"])  # full names
    # and the grade axis shows every grade from 1 to 10, in full
    assert {str(n) for n in range(1, 11)} <= set(canvas_texts(page, "grade"))
    # and the months along the bottom: at least the first and the last of the year shown
    months = [label for label in canvas_texts(page, "grade") if label in grade["labels"]]
    assert len(months) >= 3 and months == sorted(months, key=grade["labels"].index)
    # and nothing overlaps, sticks out of its canvas, breaks the policy or is wider than the screen
    assert seen["boxes"] > 50
    assert {key: value for key, value in seen.items() if key != "boxes" and value} == {}, (
        json.dumps(seen, indent=2)
    )
    # and each canvas says what it is, and the page passes axe
    for canvas in page.locator("canvas[data-kpi-chart]").all():
        assert canvas.get_attribute("role") == "img"
        assert "The figures are in the table below the chart." in canvas.get_attribute("aria-label")
    assert_accessible(page)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_contractors_charts_read_at_a_glance(
    now, demo, chart_page, width, switch_to_english, log_in, assert_accessible
):
    # given the planner of Van den Berg Onderhoud, reading English
    page = chart_page(width)
    switch_to_english(page)
    log_in(page, "planner@vandenberg.nl")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # when they open their figures
    page.get_by_role("link", name="Figures").click()
    seen = look_at_the_charts(page, "contractor", width)

    # then their own charts, named in full, with every grade on the axis
    legend = page.locator("figure.kpi-chart").first.locator(".kpi-chart-legend li")
    assert [name.strip() for name in legend.all_text_contents()] == ["Van den Berg Onderhoud"]
    assert {str(n) for n in range(1, 11)} <= set(canvas_texts(page, "grade"))
    # the table under the chart holds the numbers of the chart's data
    grade = chart_data(page, "grade")
    rows = page.locator("figure.kpi-chart").first.locator("table tbody tr").all()
    shown = [row.locator("td").first.text_content() for row in rows]
    assert shown == [
        "–" if value is None else f"{value:.2f}" for value in grade["series"][0]["values"]
    ]
    # and nothing overlaps, sticks out, breaks the policy or is wider than the screen
    assert {key: value for key, value in seen.items() if key != "boxes" and value} == {}, (
        json.dumps(seen, indent=2)
    )
    assert_accessible(page)
