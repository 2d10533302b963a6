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
