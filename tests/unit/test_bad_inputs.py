"""The bad-file corpus: each file says which error it must give (header comments)."""

from __future__ import annotations

from pathlib import Path

import pytest

import gigawatt.errors as errors
from gigawatt.scenario import load_scenario

BAD = Path(__file__).resolve().parent.parent / "data" / "bad"
FILES = sorted(BAD.glob("*.yaml"))


def expectation(path: Path) -> dict[str, str]:
    head = path.read_bytes()[:400].decode("latin-1").splitlines()
    return {k.strip(): v.strip() for line in head if line.startswith("# ")
            for k, _, v in [line[2:].partition(":")]}


def test_corpus_is_there():
    assert len(FILES) >= 15


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_bad_file_gives_its_error(path: Path):
    exp = expectation(path)
    with pytest.raises(errors.GigawattError) as info:
        load_scenario(path)
    exc = info.value
    assert type(exc).__name__ == exp["expect"], exc.render()
    assert exc.file == str(path)
    if exp.get("field"):
        assert exc.field and exc.field.startswith(exp["field"]), exc.render()
        assert exc.line is not None, exc.render()
    assert exp.get("contains", "") in exc.render()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_cli_exit_2_one_message(cli, path: Path):
    r = cli("scenario", "validate", str(path))
    assert r.code == 2
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: {path}")


def test_huge_file_is_refused(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text("x: " + "a" * (5 * 1024 * 1024) + "\n")
    with pytest.raises(errors.InputFileError, match="at most"):
        load_scenario(big)


def test_missing_file(cli, tmp_path: Path):
    r = cli("scenario", "validate", str(tmp_path / "nope.yaml"))
    assert r.code == 2 and "file not found" in r.stderr


def test_python_tag_is_not_executed(tmp_path: Path):
    marker = tmp_path / "pwned"
    f = tmp_path / "evil.yaml"
    f.write_text(f"id: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(errors.UnsafeInputError):
        load_scenario(f)
    assert not marker.exists()


def test_line_numbers_point_at_the_field():
    path = BAD / "negative_budget.yaml"
    with pytest.raises(errors.ValidationError) as info:
        load_scenario(path)
    lines = path.read_text().splitlines()
    assert "budget_usd: -2.0e9" in lines[info.value.line - 1]
