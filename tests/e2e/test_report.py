"""The plan report in a real browser: headless Chromium (Debian's /usr/bin/chromium driven
by Python playwright) opens ``index.html`` with the network blocked, no console errors,
every chart rendered, and a screenshot saved under the test's tmp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at "
                       "/usr/bin/chromium (make test installs it: scripts/ensure-chromium.sh)"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from gigawatt.plan import plan_scenario
    from gigawatt.report.plan_report import plan_document, write_plan_report

    out = tmp_path_factory.mktemp("e2e") / "gigawatt-report"
    r = plan_scenario("stargate")
    index = write_plan_report([r], out, plan_document([r], str(out / "index.html")))
    return index


def _open(index: Path, shot: Path) -> dict:
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def block(route):
            if not route.request.url.startswith(("file:", "data:")):
                requests.append(route.request.url)
                return route.abort()
            return route.continue_()

        page.route("**/*", block)
        page.goto(index.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0")
        charts = page.evaluate("""() => Array.from(document.querySelectorAll('.chart > div'))
            .map(d => ({id: d.querySelector('.plotly-graph-div')?.id,
                        plotted: !!d.querySelector('.main-svg'),
                        traces: (d.querySelector('.plotly-graph-div')?.data || []).length}))""")
        csv_links = page.locator("a.csv").count()
        page.screenshot(path=str(shot), full_page=False)
        page.screenshot(path=str(shot.with_name("report-full.png")), full_page=True)
        browser.close()
    return {"errors": errors, "requests": requests, "charts": charts, "csv_links": csv_links}


def test_report_renders_offline_without_errors(report, tmp_path):
    shot = tmp_path / "report.png"
    seen = _open(report, shot)
    assert seen["errors"] == []
    assert seen["requests"] == []  # self-contained: nothing fetched from the network
    assert len(seen["charts"]) == 9  # six plan charts, three of the power section
    for c in seen["charts"]:
        assert c["plotted"] and c["traces"] > 0, c
    assert seen["csv_links"] >= 10
    assert shot.exists() and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")
