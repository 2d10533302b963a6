"""The report folder writer (plan --out, risk --out, simulate --report): other files are
kept, foreign folders refused, bad paths give one line and exit 2, and a run stopped at any
step leaves the old report or the new one (or a marker that says it is incomplete)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gigawatt.errors import OutputError
from gigawatt.report import folder
from gigawatt.report.folder import MARKER, read_marker, write_report_folder

OLD = {"index.html": "old page", "tables/a.csv": "old a", "plan.json": "{}"}
NEW = {"index.html": "new page", "tables/b.csv": "new b", "plan.json": "{\"n\": 1}"}


def _files(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text() for p in out.rglob("*")
            if p.is_file() and p.name != MARKER}


def test_new_folder_gets_files_and_marker(tmp_path):
    out = tmp_path / "r" / "deep"
    write_report_folder(out, "plan", OLD)
    assert _files(out) == OLD
    m = read_marker(out)
    assert m["complete"] is True and sorted(m["files"]["plan"]) == sorted(OLD)


def test_rewrite_keeps_foreign_files_and_drops_its_own_stale_ones(tmp_path):
    out = tmp_path / "r"
    write_report_folder(out, "plan", OLD)
    (out / "notes.txt").write_text("mine")
    (out / "tables" / "my.csv").write_text("mine too")
    write_report_folder(out, "plan", NEW)
    assert _files(out) == {**NEW, "notes.txt": "mine", "tables/my.csv": "mine too"}
    assert [p.name for p in out.iterdir() if p.name.startswith(".gigawatt-staging")] == []


def test_two_kinds_share_a_folder(tmp_path):
    out = tmp_path / "r"
    write_report_folder(out, "plan", OLD)
    write_report_folder(out, "risk", {"risk.html": "risk"})
    write_report_folder(out, "plan", NEW)
    assert _files(out) == {**NEW, "risk.html": "risk"}


def test_a_folder_of_someone_elses_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a gigawatt report folder"):
        write_report_folder(tmp_path, "plan", NEW)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_user_file_with_a_report_name_is_not_overwritten(tmp_path):
    out = tmp_path / "r"
    write_report_folder(out, "risk", {"risk.html": "risk"})
    (out / "index.html").write_text("my own index")
    with pytest.raises(OutputError, match="not written by gigawatt"):
        write_report_folder(out, "plan", NEW)
    assert (out / "index.html").read_text() == "my own index"


@pytest.mark.parametrize("make,match", [
    (lambda t: (t / "f").write_text("x") and t / "f", "is a file"),
    (lambda t: (t / "f").write_text("x") and t / "f" / "sub", "which is a file"),
    (lambda t: Path("/proc/gigawatt-x"), "cannot write"),
])
def test_bad_paths_are_one_error(tmp_path, make, match):
    with pytest.raises(OutputError, match=match):
        write_report_folder(make(tmp_path), "plan", NEW)


def test_permission_error_is_one_error(tmp_path, monkeypatch):
    def denied(*a, **k):
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro"))
    monkeypatch.setattr(Path, "mkdir", denied)
    with pytest.raises(OutputError, match="Permission denied"):
        write_report_folder(tmp_path / "ro" / "r", "plan", NEW)


def test_stopped_while_staging_leaves_the_old_report(tmp_path, monkeypatch):
    out = tmp_path / "r"
    write_report_folder(out, "plan", OLD)
    real = Path.write_bytes
    calls = []

    def stop(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, data)
    monkeypatch.setattr(Path, "write_bytes", stop)
    with pytest.raises(KeyboardInterrupt):
        write_report_folder(out, "plan", NEW)
    assert _files(out) == OLD and read_marker(out)["complete"] is True
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [MARKER]


def test_killed_between_renames_is_marked_incomplete_and_recovered(tmp_path, monkeypatch):
    out = tmp_path / "r"
    write_report_folder(out, "plan", OLD)
    real = os.replace
    calls = []

    def killed(src, dst):
        if str(dst).endswith(MARKER):
            return real(src, dst)
        calls.append(dst)
        if len(calls) == 2:
            raise SystemExit("killed")  # stands in for SIGKILL: nothing after it runs
        return real(src, dst)
    monkeypatch.setattr(folder.os, "replace", killed)
    with pytest.raises(SystemExit):
        write_report_folder(out, "plan", NEW)
    marker = read_marker(out)
    assert marker["complete"] is False  # a mix never looks complete
    assert set(marker["files"]["plan"]) == set(OLD) | set(NEW)
    monkeypatch.setattr(folder.os, "replace", real)
    write_report_folder(out, "plan", NEW)  # the next run finishes the job
    assert _files(out) == NEW and read_marker(out)["complete"] is True


def test_a_corrupt_marker_deletes_nothing(tmp_path):
    out = tmp_path / "r"
    write_report_folder(out, "plan", OLD)
    (out / MARKER).write_text("not json")
    with pytest.raises(OutputError, match="not written by gigawatt"):
        write_report_folder(out, "plan", {"index.html": "x"})
    write_report_folder(out, "plan", {"other.html": "x"})
    assert _files(out) == {**OLD, "other.html": "x"}


# ------------------------------------------------------------------------- commands


def test_simulate_report_refuses_a_foreign_folder(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    r = cli("simulate", "--gpus", "64", "--days", "1", "--report", tmp_path, "--json")
    assert r.code == 2 and "not a gigawatt report folder" in r.stderr, r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr


def test_simulate_report_twice_keeps_notes(cli, tmp_path):
    out = tmp_path / "sim"
    assert cli("simulate", "--gpus", "64", "--days", "1", "--report", out).code == 0
    (out / "notes.txt").write_text("mine")
    r = cli("simulate", "--gpus", "64", "--days", "1", "--report", out, "--json")
    assert r.code == 0, r.stderr
    assert (out / "notes.txt").read_text() == "mine" and (out / "simulate.html").exists()


def test_out_dot_in_a_foreign_folder_is_refused(cli, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    r = cli("risk", "--scenario", "stargate", "--draws", "2", "--fixed-plan", "--out", ".")
    assert r.code == 2 and "not a gigawatt report folder" in r.stderr, r.stderr


@pytest.mark.parametrize("cmd", [
    ["risk", "--draws", "2", "--fixed-plan", "--out"],
    ["simulate", "--gpus", "64", "--days", "1", "--report"]])
def test_onto_a_file_or_under_one_exits_2(cli, tmp_path, cmd):
    f = tmp_path / "f.txt"
    f.write_text("keep")
    for target in (f, f / "sub", Path("/proc/gigawatt-x")):
        r = cli(*cmd, target)
        assert r.code == 2 and r.stderr.startswith("error: "), r.stderr
        assert "Traceback" not in r.stderr
    assert f.read_text() == "keep"


def test_serve_plot_onto_a_folder_or_under_a_file_exits_2(cli, tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("keep")
    base = ["serve", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm",
            "--prompt-tokens", "100", "--output-tokens", "100", "--plot"]
    for target in (tmp_path, f / "x.html", Path("/proc/gigawatt-x/x.html")):
        r = cli(*base, target)
        assert r.code == 2 and r.stderr.startswith("error: "), r.stderr


def test_compare_with_one_id_twice_keeps_both(cli, tmp_path):
    small = Path(__file__).resolve().parents[1] / "data" / "plan" / "small.yaml"
    copy = tmp_path / "copy.yaml"
    copy.write_text(small.read_text().replace("budget_usd: 2.0e9", "budget_usd: 3.0e9"))
    out = tmp_path / "cmp"
    r = cli("plan", "--compare", small, "--compare", copy, "--out", out, "--json")
    assert r.code == 0, r.stderr
    ids = [d["scenario"] for d in r.json()["comparison"]]
    assert ids == ["plan-small", "plan-small-2"]
    assert (out / "tables" / "plan-small" / "builds.csv").exists()
    assert (out / "tables" / "plan-small-2" / "builds.csv").exists()
    assert any("repeated" in n for n in r.json()["comparison"][1]["notes"])
    assert json.loads((out / "plan.json").read_text()) == r.json()


def test_a_report_from_before_the_marker_is_adopted(tmp_path):
    out = tmp_path / "gigawatt-report"
    (out / "tables").mkdir(parents=True)
    for rel, text in OLD.items():
        (out / rel).write_text(text)
    write_report_folder(out, "plan", NEW)
    assert _files(out) == NEW and read_marker(out)["complete"] is True


def test_a_folder_that_only_looks_like_a_report_is_refused(tmp_path):
    (tmp_path / "index.html").write_text("my site")  # no plan.json: not a report
    with pytest.raises(OutputError, match="not a gigawatt report folder"):
        write_report_folder(tmp_path, "plan", NEW)
    (tmp_path / "plan.json").write_text("{}")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a gigawatt report folder"):
        write_report_folder(tmp_path, "plan", NEW)
