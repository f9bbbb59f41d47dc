"""The shared report printed to PDF by real Chromium: every chart present, nothing wider than the page."""

import os
import re
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, need
from tests.e2e.checks import axe_violations
from tests.reports.test_views import CHARTS_PER_REPORT
from workshop.reports import service

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
A4_PRINTABLE_PX = 703  # 210 mm - 2 x 12 mm margins at 96 px per inch

OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth + 0.5;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > limit || r.left < -0.5);
  });
  return {scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
          wide: wide.slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40))};
}"""


@pytest.fixture
def served(app):
    """The app on a real loopback port (the report needs no websockets)."""
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.e2e
def test_report_prints_to_pdf_with_every_chart_and_no_overflow(ran, served, tmp_path, playwright):
    need(os.path.exists(CHROMIUM), f"{CHROMIUM} is not installed")
    token = service.share_report(ran["workshop"])
    # pytest-playwright's session instance: a second sync_playwright() in one run is refused.
    p = playwright
    browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        page = browser.new_page(viewport={"width": A4_PRINTABLE_PX, "height": 1000})
        page.goto(f"{served}/report/{token}")
        page.emulate_media(media="print")
        charts = page.locator("svg.chart-svg")
        assert charts.count() == CHARTS_PER_REPORT
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["height"] > 20 and box["x"] + box["width"] <= A4_PRINTABLE_PX + 0.5
        layout = page.evaluate(OVERFLOW)
        assert layout["scroll"] <= layout["width"] and layout["wide"] == [], layout
        pdf = page.pdf(path=str(tmp_path / "report.pdf"), format="A4", print_background=True,
                       margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
        page.evaluate("() => { const s = document.createElementNS('http://www.w3.org/2000/svg', 'svg'); "
                      "s.setAttribute('width', '2000'); s.setAttribute('height', '5'); document.body.append(s); }")
        assert page.evaluate(OVERFLOW)["wide"], "the overflow check must catch a too-wide element"
        audit = browser.new_context(bypass_csp=True).new_page()  # axe is injected as a script
        audit.goto(f"{served}/report/{token}")
        assert axe_violations(audit) == []
        audit.goto(f"{served}/login")
        audit.fill("#email", ran["host"].email)
        audit.fill("#password", PASSWORD)
        audit.click("button[type=submit], input[type=submit]")
        audit.goto(f"{served}/planner/{ran['workshop'].slug}/report")
        assert audit.get_by_role("button", name="Erase personal data").is_visible()
        assert axe_violations(audit) == []
        audit.emulate_media(media="print")  # the facilitator's own print-out: no controls, same charts
        assert not audit.get_by_role("button", name="Erase personal data").is_visible()
        assert audit.locator("svg.chart-svg").count() == CHARTS_PER_REPORT
    finally:
        browser.close()
    assert pdf.startswith(b"%PDF")
    # Chromium's PDF output drew only the first SVG <pattern> of a chart: textures must be plain vector paths.
    assert b"/PatternType" not in pdf and b"/Subtype /Image" not in pdf
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 8, pages
