def test_catalog_show_json(cli):
    r = cli("catalog", "show", "h100-sxm", "--json")
    assert r.code == 0, r.stderr
    data = r.json()
    assert data["bf16_tflop_per_s"] == 989
    assert data["sources"]["price_usd"]["estimate"] is True


def test_unknown_id_exit_2(cli):
    r = cli("catalog", "show", "h100-sx")
    assert r.code == 2
    assert "h100-sxm" in r.stderr and "Traceback" not in r.stderr


def test_usage_errors_exit_2_without_traceback(cli):
    for args in (["catalog", "show", "demand", "x"], ["nosuch"], ["train", "--gpus", "abc"],
                 ["catalog", "show"]):
        r = cli(*args)
        assert r.code == 2, args
        assert "Traceback" not in r.stderr and "Error:" in r.stderr, args


def test_help_exits_0(cli):
    r = cli("--help")
    assert r.code == 0 and "catalog" in r.stdout


def test_python_dash_m():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "gigawatt", "catalog", "list", "--json"],
                         capture_output=True, text=True, check=True).stdout
    import json

    rows = json.loads(out)["rows"]
    assert len(rows) >= 16 and len({r["vendor"] for r in rows}) >= 6
    assert all(r["sources"]["bf16_tflop_per_s"]["source"] for r in rows)
