"""The report pages: one plotly bundle per folder, charts that show what they claim
(every power bar labelled, a readable time-to-train axis, no empty legend entries),
human table headers, the compare difference column, simulate and risk on the shared
template."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from gigawatt.plan import plan_scenario

    cache = tmp_path_factory.mktemp("cache")
    a = plan_scenario(str(DATA / "plan" / "small.yaml"), cache_dir=cache)
    b = plan_scenario("colossus", cache_dir=cache)
    return a, b


def test_power_chart_labels_every_bar(small):
    from gigawatt.report.plan_report import power_figure

    r = small[1]
    fig = power_figure(r)
    assert list(fig.layout.xaxis.tickvals) == [f"{y} {s}" for y, s in
                                               zip(r.sites.year, r.sites.site)]
    assert fig.layout.xaxis.ticktext == fig.layout.xaxis.tickvals


def test_time_to_train_axis_is_logarithmic(small):
    from gigawatt.report.plan_report import training_figure

    r = small[1]
    fig = training_figure(r)
    assert fig.layout.yaxis.type == "log"
    lo, hi = fig.layout.yaxis.range
    days = r.training.time_to_train_days
    assert 10 ** lo < days.min() and 10 ** hi > max(days.max(), r.training.max_days.max())
    assert all(t.text is not None for t in fig.data if t.type == "bar")  # labelled bars


def test_no_legend_entry_without_bars(small):
    from gigawatt.report.plan_report import (buildout_figure, capex_figure, hbm_figure,
                                             power_figure)

    for r in small:
        for fig in (buildout_figure(r), power_figure(r), capex_figure(r), hbm_figure(r)):
            for t in fig.data:
                if t.type == "bar":
                    assert np.nan_to_num(np.asarray(t.y, dtype=float)).any(), t.name


def test_axis_titles_have_room(small):
    from gigawatt.report.plan_report import capex_figure

    fig = capex_figure(small[0])
    assert fig.layout.yaxis.automargin and fig.layout.xaxis.automargin


def test_tables_show_human_headers_and_formatted_numbers(small):
    from gigawatt.report.html import Table

    html = Table("builds", "b", small[1].to_frame("builds")).render()["html"]
    assert "capex_usd" not in html and "it_power_mw" not in html
    assert "<th class='num'>capex</th>" in html and "$" in html and " MW<" in html


def test_compare_table_has_a_difference_column(small):
    from gigawatt.report.tables import comparison_table

    a, b = small
    df = comparison_table([a, b]).set_index("total")
    col = f"difference: {b.scenario}"
    assert col in df.columns
    assert df.loc["capex_usd", col] == pytest.approx(b.totals["capex_usd"]
                                                      - a.totals["capex_usd"])
    assert df.loc["capex_usd", f"change: {b.scenario}"].endswith("%")


def test_compare_report_renders_the_difference(small, tmp_path):
    from gigawatt.report.plan_report import plan_document, write_plan_report

    out = tmp_path / "cmp"
    write_plan_report(list(small), out, plan_document(list(small)))
    page = (out / "index.html").read_text()
    assert f"difference: {small[1].scenario}" in page
    assert (out / "plotly.min.js").exists() and len(page) < 1_500_000


def test_simulate_report_uses_the_template_and_one_bundle(tmp_path):
    from gigawatt.ops import simulate
    from gigawatt.report.ops import write_ops_report

    path = write_ops_report(simulate(1024, 2, seed=1), tmp_path)
    page = path.read_text()
    assert "<header><h1>gigawatt simulate</h1>" in page and "class=\"kpis\"" in page
    assert 'src="plotly.min.js"' in page and (tmp_path / "plotly.min.js").exists()
    assert page.count("Plotly.newPlot") == 4
    before = (tmp_path / "plotly.min.js").stat().st_mtime_ns
    write_ops_report(simulate(1024, 2, seed=2), tmp_path)  # same bundle: not rewritten
    assert (tmp_path / "plotly.min.js").stat().st_mtime_ns == before


def test_row_formatted_tables_print_years_plainly():
    """The risk report's outcome table: each row in its own unit (years as 2029.4, never
    2,029.43; money as $B)."""
    import pandas as pd

    from gigawatt.report.html import Table

    df = pd.DataFrame({"outcome": ["full_capacity_year", "total_cost_usd",
                                   "effective_exaflops_2028"],
                       "p10": [2029.43, 3.72e11, 2761.0], "p50": [2030.0, 3.93e11, 3464.0]})
    html = Table("o", "outcomes", df, row_field="outcome").render()["html"]
    assert "2029.4<" in html and "2030<" in html and "2,029" not in html
    assert "$372B" in html and "2,761 EFLOP/s" in html and "full capacity year" in html


def test_plan_page_has_the_power_section(small):
    from gigawatt.report.plan_report import plan_sections, render_plan

    r = small[1]
    ids = [s.id for s in plan_sections(r)]
    assert "power" in ids and ids.index("power") < ids.index("limits")
    page = render_plan(r)
    assert "Power: where it comes from, what it costs, what binds" in page
    grid = [b for b in r.binding if b["constraint"] == "grid-capacity_mw-upper"]
    for b in grid:
        assert f"One more MW of grid at {b['index']['site']} in {b['index']['year']}" in page
