"""Built-in data of issue 2: the LLM catalog, the demand presets and the four scenarios.

Each test checks a fact the data encodes against the published figure it comes from (a
parameter count, a budget, a GPU count), so an edit that breaks a fact fails here.
"""

from __future__ import annotations

import pytest

from gigawatt.errors import GigawattError
from gigawatt.scenario import builtin_scenarios, load_scenario, parse_scenario

BUILTINS = ["colossus", "korea-2023", "stargate", "stargate-2024"]


# --------------------------------------------------------------------------- models


def param_count(m) -> tuple[float, float]:
    """(total, active) parameters of a catalog LLM, counted from its shape (no biases or
    norms): attention Q/K/V/O, FFN (3 matrices for SwiGLU, 2 for GeLU), embeddings."""
    h, d = m.hidden, m.d_head
    attn = 2 * h * m.heads * d + 2 * h * m.n_kv_heads * d
    if m.mla is not None:
        # MLA (DeepSeek-V2 section 2.1): query down/up, key-value down (latent + RoPE key)
        # and up (per-head non-RoPE key and value), output projections
        a, n = m.mla, m.heads
        q = (h * a.q_lora_rank + a.q_lora_rank * n * a.qk_head_dim if a.q_lora_rank
             else h * n * a.qk_head_dim)
        attn = (q + h * (a.kv_lora_rank + a.qk_rope_head_dim)
                + a.kv_lora_rank * n * (a.qk_nope_head_dim + a.v_head_dim)
                + n * a.v_head_dim * h)
    mats = 3 if m.activation == "swiglu" else 2
    emb = m.vocab * h * (1 if m.tied_embeddings else 2)
    if m.moe is None:
        total = m.layers * (attn + mats * h * m.d_ffn) + emb
        return total, total
    e = m.moe
    expert = mats * h * e.expert_ffn_hidden
    moe_layers = m.layers - e.dense_layers
    common = m.layers * attn + e.dense_layers * mats * h * m.d_ffn + emb
    return (common + moe_layers * (e.experts + e.shared_experts) * expert,
            common + moe_layers * (e.top_k + e.shared_experts) * expert)


# (id, published total, published active, relative tolerance of the total, of the active)
PUBLISHED_PARAMS = [
    ("gpt3-175b", 175e9, 175e9, 0.01, 0.01),
    ("mt-nlg-530b", 530e9, 530e9, 0.01, 0.01),
    ("llama-2-70b", 70e9, 70e9, 0.02, 0.02),  # "70B" rounds 69.0B
    ("llama-3-8b", 8.0e9, 8.0e9, 0.01, 0.01),
    ("llama-3.1-70b", 70.6e9, 70.6e9, 0.01, 0.01),
    ("llama-3.1-405b", 405e9, 405e9, 0.01, 0.01),
    ("llama-4-maverick", 400e9, 17e9, 0.01, 0.02),
    ("mixtral-8x7b", 46.7e9, 12.9e9, 0.01, 0.01),
    ("mixtral-8x22b", 141e9, 39e9, 0.01, 0.01),
    ("qwen3-235b-a22b", 235e9, 22e9, 0.01, 0.01),
    ("deepseek-v3", 671e9, 37e9, 0.01, 0.02),  # with MLA (the row's mla block)
]


@pytest.mark.parametrize("mid,total,active,tol_total,tol_active", PUBLISHED_PARAMS)
def test_model_shapes_reproduce_published_parameter_counts(catalog, mid, total, active,
                                                           tol_total, tol_active):
    got_total, got_active = param_count(catalog.model(mid))
    assert got_total == pytest.approx(total, rel=tol_total)
    assert got_active == pytest.approx(active, rel=tol_active)


# Narayanan et al. SC21 Table 1: number of parameters (billion) of each GPT configuration
MEGATRON = {"1.7b": 1.7, "3.6b": 3.6, "7.5b": 7.5, "18b": 18.4, "39b": 39.1, "76b": 76.1,
            "145b": 145.6, "310b": 310.1, "530b": 529.6, "1t": 1008.0}


@pytest.mark.parametrize("size,billion", MEGATRON.items())
def test_megatron_series_matches_sc21_table1(catalog, size, billion):
    m = catalog.model(f"megatron-gpt-{size}")
    assert (m.seq_len, m.vocab, m.activation) == (2048, 51200, "gelu")
    assert m.d_ffn == 4 * m.hidden
    # the paper counts 12*l*h^2*(1 + 13/(12h) + (V+s)/(12lh)) parameters and prints them
    # to one decimal
    l, h = m.layers, m.hidden
    paper = 12 * l * h * h * (1 + 13 / (12 * h) + (m.vocab + m.seq_len) / (12 * l * h))
    assert paper / 1e9 == pytest.approx(billion, abs=0.05)
    assert param_count(m)[0] == pytest.approx(paper, rel=0.01)


def test_frontier_estimate_is_flagged(catalog):
    m = catalog.model("frontier-moe-est")
    assert m.estimate and m.source_of("layers").estimate
    assert "NOT a published model" in (m.notes or "")
    total, active = param_count(m)
    assert 2e12 < total < 5e12 and 1e11 < active < 3e11


def test_every_model_cites_a_known_source(catalog):
    assert len(catalog.table("models")) >= 25
    for m in catalog.table("models").values():
        assert m.source in catalog.sources, m.id
        for fact, prov in m.provenance.items():
            assert prov.source in catalog.sources, (m.id, fact)


# --------------------------------------------------------------------------- demands


def test_demands_name_catalog_models_and_derive_their_volume(catalog):
    demands = catalog.table("demands")
    assert set(demands) >= {"chatgpt-chat", "computer-use-agent", "reasoning-model"}
    for d in demands.values():
        assert d.model in catalog.table("models")
        assert d.ttft_slo_s > d.tpot_slo_s > 0
        assert d.estimate  # service volumes are never published in tokens
    chat = demands["chatgpt-chat"]
    # 2.5 billion prompts a day (Axios, July 2025) x the mean reply length
    assert chat.tokens_per_day == pytest.approx(2.5e9 * chat.output_tokens)
    # MLPerf Inference llama3_1-405b-interactive: TTFT 4.5 s, TPOT 80 ms
    assert (chat.ttft_slo_s, chat.tpot_slo_s) == (4.5, 0.08)
    reasoning = demands["reasoning-model"]
    assert reasoning.output_tokens >= 10 * chat.output_tokens
    agent = demands["computer-use-agent"]
    assert agent.prompt_tokens >= 20 * agent.output_tokens  # prefill-heavy


# --------------------------------------------------------------------------- scenarios


def test_the_four_builtins_are_shipped():
    assert set(BUILTINS) <= set(builtin_scenarios())


@pytest.mark.parametrize("sid", BUILTINS)
def test_builtin_validates_and_cites(catalog, sid):
    sc = load_scenario(sid, catalog)
    assert sc.id == sid
    assert sc.sources, "each scenario carries its own sources list"
    known = sc.source_ids() | set(catalog.sources)
    for part in (sc.phases, sc.sites, sc.accelerators):
        for item in part:
            assert item.source in known, (sid, item)
    for u in sc.uncertainties:
        assert u.source in known, (sid, u.id)
    # supply caps and availability windows lie inside the programme
    for a in sc.accelerators:
        assert all(sc.start_year <= y <= sc.end_year for y in a.supply_cap_by_year)


@pytest.mark.parametrize("sid", BUILTINS)
def test_show_yaml_round_trips_through_validate(cli, tmp_path, sid):
    shown = cli("scenario", "show", sid, "--yaml")
    assert shown.code == 0, shown.stderr
    path = tmp_path / f"{sid}.yaml"
    path.write_text(shown.stdout, encoding="utf-8")
    r = cli("scenario", "validate", str(path), "--json")
    assert r.code == 0, r.stderr
    # the copy has its own id (so it never collides with the built-in), else identical
    assert r.json()["validated"] == [{"file": str(path), "id": f"{sid}-copy", "valid": True}]
    assert load_scenario(path) == load_scenario(sid).model_copy(update={"id": f"{sid}-copy"})


def test_stargate_facts(catalog):
    sc = load_scenario("stargate", catalog)
    assert sc.budget_usd == pytest.approx(500e9)  # $500B ...
    assert (sc.start_year, sc.end_year) == (2025, 2029)  # ... over four years from 2025
    assert sc.phases[0].budget_usd == pytest.approx(100e9)  # $100B deployed immediately
    sites = [s.site for s in sc.sites]
    assert sites[0] == "abilene-tx"
    assert set(sites) == {"abilene-tx", "shackelford-tx", "dona-ana-nm", "lordstown-oh",
                          "milam-tx", "saline-mi"}
    accs = {a.accelerator for a in sc.accelerators}
    assert {"gb200", "gb300"} <= accs
    assert set(sc.hbm_supply_gb_by_year) == {"sk-hynix", "samsung", "micron"}
    kinds = {u.kind for u in sc.uncertainties}
    assert kinds >= {"accelerator_delay_years", "accelerator_price_factor",
                     "hbm_supply_factor", "construction_factor", "power_delay_years",
                     "electricity_price_factor", "failure_rate_factor", "mfu_factor"}
    assert sc.workloads.training and sc.workloads.inference
    # power toward the 10 GW commitment: site power in 2029 between 7 and 10 GW
    power_2029 = sum(_site_power(catalog, s, 2029) for s in sc.sites)
    assert 7000 <= power_2029 <= 10000


def test_stargate_2024_facts(catalog):
    sc = load_scenario("stargate-2024", catalog)
    assert sc.budget_usd == pytest.approx(100e9)  # up to $100B
    last = sc.phases[-1]
    assert "stargate" in last.id and last.start_year == 2028 and last.end_year == 2030
    assert sc.vendor_max_share is not None and sc.vendor_max_share < 1
    vendors = {catalog.accelerator(a.accelerator).vendor for a in sc.accelerators}
    assert {"nvidia", "amd", "microsoft"} <= vendors
    assert "maia-100" in {a.accelerator for a in sc.accelerators}
    assert set(sc.hbm_supply_gb_by_year) == {"sk-hynix", "samsung", "micron"}
    assert sum(_site_power(catalog, s, 2030) for s in sc.sites) == pytest.approx(5000)


def test_colossus_reaches_one_million_gpus(catalog):
    sc = load_scenario("colossus", catalog)
    assert [s.site for s in sc.sites] == ["memphis-tn", "memphis-colossus2-tn"]
    first = sum(e.count for e in sc.existing if e.installed_year == 2024)
    assert first == 100_000  # 100k H100 in 2024
    assert {e.accelerator for e in sc.existing if e.installed_year == 2024} == {"h100-sxm"}
    base = sum(e.count for e in sc.existing)
    assert base == 200_000  # doubled to 200k (50k more H100, 50k H200) by early 2025
    caps = sum(sum(a.supply_cap_by_year.values()) for a in sc.accelerators)
    assert base + caps == 1_000_000
    assert sc.budget_usd == pytest.approx(30e9)  # $10B (July 2025) + $20B (October 2025)


def test_korea_starts_from_1961_h100s(catalog):
    sc = load_scenario("korea-2023", catalog)
    assert [(e.accelerator, e.count, e.installed_year) for e in sc.existing] == [
        ("h100-sxm", 1961, 2023)]
    gov = sc.phases[0]
    assert gov.budget_usd == pytest.approx(1.46e12 / 1390, rel=0.01)  # 1.46T KRW
    plan_2025 = sum(a.supply_cap_by_year.get(2025, 0) for a in sc.accelerators)
    assert plan_2025 == 13_000
    later = sum(n for a in sc.accelerators if catalog.accelerator(a.accelerator).family
                == "blackwell" for y, n in a.supply_cap_by_year.items() if y >= 2026)
    # NVIDIA's October 2025 pledge of 260,000, of which the government's first 13,000
    assert plan_2025 + later == 260_000


def test_a_broken_builtin_copy_is_rejected(catalog):
    text = load_scenario_text("stargate").replace("site: saline-mi", "site: saline-mj")
    with pytest.raises(GigawattError, match="saline-mi"):
        parse_scenario(text, "stargate-broken.yaml", catalog)


def load_scenario_text(sid: str) -> str:
    from gigawatt.scenario import scenario_path

    return scenario_path(sid).read_text(encoding="utf-8")


def _site_power(catalog, opt, year: int) -> float:
    by_year = opt.power_mw_by_year or catalog.site(opt.site).power_mw_by_year
    past = [y for y in by_year if y <= year]
    return by_year[max(past)] if past else 0.0


# --------------------------------------------------------------------------- docs


def _reference_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "gen_scenario_reference.py"
    spec = importlib.util.spec_from_file_location("gen_scenario_reference", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_scenario_reference_doc_is_current():
    mod = _reference_script()
    assert mod.OUT.read_text(encoding="utf-8") == mod.render(), (
        "docs/scenarios.md is stale: run scripts/gen_scenario_reference.py")


def test_reference_lists_every_schema_field_and_the_doc_example_validates(catalog):
    from gigawatt.scenario import Scenario, Uncertainty

    mod = _reference_script()
    text = mod.render()
    for model in (Scenario, Uncertainty):
        for name in model.model_fields:
            assert f"| `{name}` |" in text
    example = text.split("## A minimal scenario", 1)[1].split("```yaml\n", 1)[1]
    sc = parse_scenario(example.split("```", 1)[0], "docs-example.yaml", catalog)
    assert sc.id == "my-campus" and sc.budget_usd == 20e9
