"""The what-if workbench in a real browser (headless Debian chromium via playwright): the
page loads offline, moving a lever changes the numbers, a variant saves as scenario YAML
that loads back, and two variants compare with a difference column."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at "
                       "/usr/bin/chromium (make test installs it: scripts/ensure-chromium.sh)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory, catalog):
    from gigawatt.app.server import App, make_server
    from gigawatt.app.workbench import Workbench
    from gigawatt.scenario import load_scenario

    out = tmp_path_factory.mktemp("variants")
    srv = make_server(App(Workbench(load_scenario("stargate", catalog), catalog), out),
                      "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/", out
    srv.shutdown()
    srv.server_close()


def _ready(page, timeout_ms: int = 60_000) -> None:
    page.wait_for_function("document.body.dataset.state === 'ready'", timeout=timeout_ms)


def test_workbench_lever_save_compare(server, tmp_path, catalog):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, out = server
    errors: list[str] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def block(route):
            if not route.request.url.startswith(url):
                outside.append(route.request.url)
                return route.abort()
            return route.continue_()

        page.route("**/*", block)
        page.goto(url)
        _ready(page)
        assert page.locator(".js-plotly-plot").count() == 2
        before = page.inner_text("#kpi-capex_usd")
        page.fill("#save-name", "base")
        page.click("#save-btn")
        page.wait_for_function("document.getElementById('saved-path').textContent"
                               ".includes('stargate-base.yaml')")
        budget = page.locator("input[data-lever='budget_usd'][data-id='phase-4']")
        budget.fill("10")
        page.wait_for_function(f"document.getElementById('kpi-capex_usd').textContent !== "
                               f"{before!r} && document.body.dataset.state === 'ready'",
                               timeout=60_000)
        after = page.inner_text("#kpi-capex_usd")
        page.fill("#save-name", "phase 4 cut")
        page.click("#save-btn")
        page.wait_for_function("document.getElementById('saved-path').textContent"
                               ".includes('stargate-phase-4-cut.yaml')")
        page.select_option("#cmp-a", "base")
        page.select_option("#cmp-b", "phase 4 cut")
        page.click("#cmp-btn")
        page.wait_for_selector("#cmp-table td")
        rows = page.eval_on_selector_all("#cmp-table tr", "rs => rs.map(r => "
                                         "Array.from(r.children).map(c => c.textContent))")
        page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        browser.close()
    assert not errors and not outside
    assert after != before
    assert rows[0][-1].startswith("difference")
    capex = next(r for r in rows if r[0] == "capex_usd")
    assert capex[3] not in ("0", "0.00", "–") and capex[3].startswith("-")
    from gigawatt.scenario import load_scenario

    saved = load_scenario(out / "stargate-phase-4-cut.yaml", catalog)
    assert {p.id: p.budget_usd for p in saved.phases}["phase-4"] == pytest.approx(10e9)
