"""estimate_training / search_training / `gigawatt train`: behaviour, errors, interfaces."""

from __future__ import annotations

import math

import pytest

import gigawatt as gw
from gigawatt.catalog.schema import LLMArchitecture
from gigawatt.errors import PlanError, UnknownIdError, ValidationError
from gigawatt.perf import estimate_training, search_training

GPT3 = LLMArchitecture(layers=96, hidden=12288, heads=96, vocab=51200, seq_len=2048,
                       tied_embeddings=True)
T1 = dict(tp=8, pp=12, global_batch=1536, recompute="full", zero=0)


def test_estimate_fields_and_units():
    e = estimate_training(GPT3, "a100-80gb", 384, **T1)
    d = e.to_dict()
    for key in ("plan", "step_time_s", "tflops_per_gpu", "hw_tflops_per_gpu", "mfu",
                "memory_gb_per_gpu", "tokens_per_s", "breakdown_s", "fits"):
        assert key in d
    assert d["plan"]["dp"] == 4 and e.fits
    assert sum(e.breakdown_s.values()) == pytest.approx(e.step_time_s)
    assert sum(e.memory_breakdown_gb.values()) == pytest.approx(e.memory_gb_per_gpu)
    assert e.tokens_per_s == pytest.approx(1536 * 2048 / e.step_time_s)
    # full recomputation: hardware FLOPs exceed model FLOPs by ~1/3 (eq. 3 vs 3x forward)
    assert 1.3 < e.hw_tflops_per_gpu / e.tflops_per_gpu < 1.34
    assert 0 < e.mfu < 1 and e.mfu == pytest.approx(e.tflops_per_gpu / 312)
    assert "time_to_train_days" not in d


def test_tokens_give_days_energy_cost(catalog):
    e = estimate_training(GPT3, "a100-80gb", 384, tokens=300e9, **T1)
    days = 300e9 / e.tokens_per_s / 86400
    assert e.time_to_train_days == pytest.approx(days)
    acc = catalog.accelerator("a100-80gb")
    pue = catalog.get("coolings", catalog.system(acc.system).cooling).pue
    assert e.energy_mwh == pytest.approx(384 * acc.all_in_power_w * pue * days * 24 / 1e6)
    assert e.cost_usd > 0 and e.cost_basis["amortisation_years"] == 5.0


def test_step_time_depends_on_plan_and_hardware():
    a100 = estimate_training(GPT3, "a100-80gb", 384, **T1)
    h100 = estimate_training(GPT3, "h100-sxm", 384, **T1)
    assert h100.step_time_s < a100.step_time_s
    selective = estimate_training(GPT3, "a100-80gb", 384, **{**T1, "recompute": "selective"})
    assert selective.step_time_s < a100.step_time_s
    assert selective.memory_breakdown_gb["activations"] > a100.memory_breakdown_gb[
        "activations"]
    more = estimate_training(GPT3, "a100-80gb", 768, **T1)
    assert more.step_time_s < a100.step_time_s
    fp8 = estimate_training(GPT3, "h100-sxm", 384, precision="fp8", **T1)
    assert fp8.step_time_s < h100.step_time_s


def test_bigger_microbatches_cost_memory():
    small = estimate_training(GPT3, "a100-80gb", 384, microbatch=1, **T1)
    big = estimate_training(GPT3, "a100-80gb", 384, microbatch=4, **T1)
    assert big.memory_breakdown_gb["activations"] > small.memory_breakdown_gb["activations"]


def test_plan_that_does_not_fit_is_flagged():
    e = estimate_training(GPT3, "a100-80gb", 8, tp=8, pp=1, global_batch=8)
    assert not e.fits and e.memory_gb_per_gpu > 80


def test_tp_beyond_scaleup_domain_is_a_plan_error_unless_said():
    with pytest.raises(PlanError, match="scale-up domain"):
        estimate_training(GPT3, "a100-80gb", 384, tp=16, pp=6)
    kw = dict(global_batch=1536, recompute="full", zero=0)
    cross = estimate_training(GPT3, "a100-80gb", 384, tp=16, pp=6, tp_cross_domain=True, **kw)
    inside = estimate_training(GPT3, "a100-80gb", 384, tp=8, pp=12, **kw)
    assert cross.breakdown_s["tp_comm"] > 3 * inside.breakdown_s["tp_comm"]


def test_indivisible_plan_names_nearest_alternatives():
    with pytest.raises(PlanError) as exc:
        estimate_training(GPT3, "a100-80gb", 384, tp=8, pp=7, global_batch=1536)
    assert "divisibility" in str(exc.value) and "nearest valid plans" in str(exc.value)
    assert "--tp" in str(exc.value)


@pytest.mark.parametrize("bad", [{"recompute": "most"}, {"zero": 4}, {"tp": 0},
                                 {"precision": "fp16"}, {"tokens": -1.0},
                                 {"recompute_fraction": 1.5}])
def test_bad_fields_raise_validation_errors(bad):
    kw = {**T1, **bad}
    with pytest.raises(ValidationError) as exc:
        estimate_training(GPT3, "a100-80gb", 384, **kw)
    assert next(iter(bad)) in str(exc.value)


def test_unknown_ids():
    with pytest.raises(UnknownIdError):
        estimate_training(GPT3, "a100-40gb", 384, **T1)


def test_search_finds_fastest_fitting_plan():
    s = search_training(GPT3, "a100-80gb", 384, global_batch=1536, top_k=5)
    assert s.best.fits and s.valid > 0 and s.evaluated >= s.valid
    times = [t.step_time_s for t in s.top]
    assert times == sorted(times) and times[0] == s.best.step_time_s
    assert s.rejected["memory"] > 0 and s.rejected["divisibility"] > 0
    # re-evaluating the winner as a fixed plan gives the same numbers
    p = s.best.plan
    again = estimate_training(GPT3, "a100-80gb", 384, **{
        k: p[k] for k in ("tp", "pp", "dp", "vp", "cp", "ep", "microbatch", "global_batch",
                          "recompute", "recompute_fraction", "zero")})
    assert again.step_time_s == pytest.approx(s.best.step_time_s)
    assert s.top[1].vs_best and "mostly" in s.top[1].vs_best or s.top[1].vs_best == "best"
    df = s.to_frame()
    assert list(df["step_time_s"]) == times and "vs_best" in df


def test_search_respects_fixed_fields():
    s = search_training(GPT3, "a100-80gb", 384, global_batch=1536, tp=4, recompute="full")
    assert all(t.plan["tp"] == 4 and t.plan["recompute"] == "full" for t in s.top)


def test_search_when_nothing_fits():
    with pytest.raises(PlanError, match="no valid plan"):
        search_training(GPT3, "a100-80gb", 8)


def test_every_catalog_accelerator_gives_a_plan(catalog):
    model = "llama-3.1-70b" if "llama-3.1-70b" in catalog.table("models") else GPT3
    for acc in catalog.accelerators:
        s = search_training(model, acc, 1024, catalog=catalog)
        assert 0.05 < s.best.mfu < 0.8, acc
        assert math.isfinite(s.best.step_time_s) and s.best.fits
        assert s.best.calibration["family"] == catalog.accelerator(acc).family


def test_moe_model_uses_expert_parallelism(catalog):
    if "mixtral-8x7b" not in catalog.table("models"):
        pytest.skip("catalog has no MoE model")
    kw = dict(catalog=catalog, tp=2, pp=1, ep=8, cp=1, recompute="selective", zero=1,
              microbatch=1)
    exposed = estimate_training("mixtral-8x7b", "h100-sxm", 256, overlap_ep=False, **kw)
    hidden = estimate_training("mixtral-8x7b", "h100-sxm", 256, **kw)
    assert exposed.plan["ep"] == 8 and exposed.breakdown_s["ep_comm"] > 0
    assert hidden.breakdown_s["ep_comm"] < exposed.breakdown_s["ep_comm"]
    assert hidden.step_time_s < exposed.step_time_s
    # experts are sharded over EP: more EP, fewer expert weights per accelerator
    ep1 = estimate_training("mixtral-8x7b", "h100-sxm", 256, **{**kw, "ep": 1})
    assert ep1.memory_breakdown_gb["weights"] > hidden.memory_breakdown_gb["weights"]


def test_cli_json(cli):
    r = cli("train", "--model", "gpt3-175b", "--accelerator", "a100-80gb", "--gpus", "384",
            "--global-batch", "1536", "--tokens", "3e11", "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    for key in ("plan", "step_time_s", "tflops_per_gpu", "hw_tflops_per_gpu", "mfu",
                "memory_gb_per_gpu", "tokens_per_s", "time_to_train_days", "energy_mwh",
                "cost_usd"):
        assert key in d
    assert d["search"]["evaluated"] >= d["search"]["valid"] > 0


def test_cli_table(cli):
    r = cli("train", "--model", "gpt3-175b", "--accelerator", "h100-sxm", "--gpus", "512",
            "--tp", "8")
    assert r.code == 0, r.stderr
    assert "where the step time goes" in r.stdout and "top" in r.stdout


def test_cli_model_file(cli, tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("name: tiny\nlayers: 24\nhidden: 2048\nheads: 16\nvocab: 32000\n"
                 "seq_len: 2048\n")
    r = cli("train", "--model-file", f, "--accelerator", "h100-sxm", "--gpus", "64", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["model"] == "tiny"
    f.write_text("name: tiny\nlayers: 24\nhidden: 2048\nheads: 16\nvocab: 32000\n"
                 "seq_len: 2048\nlayer: 3\n")
    r = cli("train", "--model-file", f, "--accelerator", "h100-sxm", "--gpus", "64")
    assert r.code == 2 and "m.yaml:7" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args, text", [
    (["--tp", "16"], "scale-up domain"),
    (["--gpus", "7", "--tp", "8"], "divisibility"),
    (["--recompute", "most"], "recompute"),
    (["--accelerator", "h1000"], "did you mean"),
])
def test_cli_bad_input_exit_2(cli, args, text):
    base = {"--model": "gpt3-175b", "--accelerator": "a100-80gb", "--gpus": "384"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    r = cli("train", *[x for kv in base.items() for x in kv], "--json")
    assert r.code == 2 and text in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_lazy_exports():
    assert gw.perf.estimate_training is estimate_training
