"""`gigawatt plan`: the JSON document, the report folder (atomic, self-contained), the
comparison, and bad input (one line, exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
SMALL = DATA / "plan" / "small.yaml"


class _Run:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One planner run shared by the tests that only read its outputs (as the ``cli``
    fixture runs it: in-process, through the real entry point)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from gigawatt.cli import main

    out = tmp_path_factory.mktemp("plan") / "report"
    o, e = io.StringIO(), io.StringIO()
    with redirect_stdout(o), redirect_stderr(e), pytest.raises(SystemExit) as exc:
        main(["plan", "--scenario", str(SMALL), "--out", str(out), "--json"])
    return _Run(exc.value.code, o.getvalue(), e.getvalue()), out


def test_json_document_has_the_design_fields(small_run):
    r, out = small_run
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["scenario"] == "plan-small" and doc["status"] == "optimal"
    assert set(doc["totals"]) >= {"capex_usd", "opex_usd", "budget_usd", "accelerators",
                                  "it_power_mw", "facility_power_mw", "effective_exaflops",
                                  "peak_exaflops"}
    assert doc["totals"]["capex_usd"] <= doc["totals"]["budget_usd"]
    assert doc["report"].endswith("index.html")
    assert [p["id"] for p in doc["phases"]] == ["p1", "p2"]
    for p in doc["phases"]:
        assert isinstance(p["year"], int)
        assert sum(c["count"] for c in p["clusters"]) == p["accelerators"]
        assert all(c["site"] == "abilene-tx" for c in p["clusters"])


def test_report_folder_is_complete_and_self_contained(small_run):
    r, out = small_run
    assert (out / "index.html").exists() and (out / "plan.json").exists()
    assert json.loads((out / "plan.json").read_text()) == r.json()
    for name in ("builds", "phases", "power", "costs", "hbm", "training", "binding",
                 "relaxations", "sites", "fleet"):
        assert (out / "tables" / f"{name}.csv").exists(), name
    page = (out / "index.html").read_text()
    # plotly.js once per folder, beside the page, loaded by a relative path: offline
    assert '<script type="text/javascript" src="plotly.min.js">' in page
    assert "<link" not in page and "http" not in page.split("<body>")[0]
    assert (out / "plotly.min.js").stat().st_size > 1_000_000 > len(page)
    assert page.count("Plotly.newPlot") >= 6
    assert "download CSV" in page
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_rerun_replaces_the_report_and_keeps_the_users_files(small_run, cli):
    _, out = small_run
    (out / "notes.txt").write_text("mine")
    before = (out / "plan.json").stat().st_mtime_ns
    r = cli("plan", "--scenario", SMALL, "--out", out, "--json")
    assert r.code == 0, r.stderr
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "plan.json").stat().st_mtime_ns > before
    assert [p.name for p in out.iterdir() if p.name.startswith(".gigawatt-staging")] == []


def test_terminal_summary(cli, tmp_path):
    r = cli("plan", "--scenario", SMALL, "--no-report")
    assert r.code == 0, r.stderr
    assert "what to build, where, when" in r.stdout and "plan-small" in r.stdout


def test_infeasible_is_answered_with_the_relaxation(cli):
    r = cli("plan", "--scenario", DATA / "plan" / "impossible.yaml", "--no-report", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["status"] == "relaxed"
    (rel,) = [x for x in doc["relaxations"] if x["constraint"] == "training-tokens_t-lower"]
    assert rel["amount"] > 9e19 and "too-big" in rel["message"]


def test_budget_that_buys_nothing_exits_2(cli):
    r = cli("plan", "--scenario", DATA / "plan" / "broke.yaml", "--no-report")
    assert r.code == 2
    assert "buys nothing" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_unknown_scenario_exits_2(cli):
    r = cli("plan", "--scenario", "stargat", "--no-report")
    assert r.code == 2 and "did you mean" in r.stderr and "stargate" in r.stderr


def test_compare_puts_scenarios_side_by_side(cli, tmp_path):
    out = tmp_path / "cmp"
    r = cli("plan", "--compare", SMALL, "--compare", DATA / "plan" / "impossible.yaml",
            "--out", out, "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert [d["scenario"] for d in doc["comparison"]] == ["plan-small", "plan-impossible"]
    assert (out / "tables" / "plan-small" / "builds.csv").exists()
    assert "Scenarios side by side" in (out / "index.html").read_text()


def test_interrupted_write_leaves_the_old_report(small_run, monkeypatch, tmp_path):
    """A failure while writing keeps the previous report whole and leaves no temp folder."""
    import shutil

    from gigawatt.report import plan_report

    _, out = small_run
    copy = tmp_path / "report"
    shutil.copytree(out, copy)
    before = (copy / "index.html").read_text()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(plan_report, "render_plan", lambda r: "<html>new</html>")
    monkeypatch.setattr(plan_report, "plan_tables", boom)  # fails after index.html
    with pytest.raises(KeyboardInterrupt):
        plan_report.write_plan_report([object()], copy, {"x": 1})
    assert (copy / "index.html").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_out_that_is_a_file_exits_2(cli, tmp_path):
    f = tmp_path / "report.txt"
    f.write_text("keep me")
    r = cli("plan", "--scenario", SMALL, "--out", f)
    assert r.code == 2 and "is a file; --out takes a folder" in r.stderr
    assert f.read_text() == "keep me"
