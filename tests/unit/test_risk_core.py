"""Risk core: distributions, per-draw seeding, executors (with a worker killed), analysis."""

from __future__ import annotations

import os

import numpy as np
import pytest

from gigawatt.errors import GigawattError, ValidationError
from gigawatt.risk.analysis import rank, spearman, summarise
from gigawatt.risk.distributions import quantile, sample, transform
from gigawatt.risk.executors import (ChunkResult, ExecutorError, LocalExecutor, assemble,
                                     chunks, get_executor, run_draws)
from gigawatt.risk.run import DrawEvaluator, run_risk
from gigawatt.risk.seeding import draw_seed_sequence, draw_uniforms
from gigawatt.scenario import Uncertainty
from test_risk_toy import TOY_UNCS, ToyModel  # by name: spawned workers import it


def U(**kw) -> Uncertainty:
    base = {"id": kw.pop("id", "u"), "kind": kw.pop("kind", "mfu_factor")}
    return Uncertainty(**base, **kw)


TRI = U(id="tri", distribution="triangular", min=0.0, mode=1.0, max=4.0)
UNI = U(id="uni", distribution="uniform", min=2.0, max=5.0)
LOGN = U(id="logn", distribution="lognormal", median=1.5, sigma=0.3)
DISC = U(id="disc", distribution="discrete", values=[3.0, 0.0, 1.0], probs=[0.2, 0.5, 0.3])


# ----------------------------------------------------------------- distributions
def test_quantiles_match_closed_forms():
    assert quantile(UNI, 0.5) == pytest.approx(3.5)
    # triangular CDF at the mode is (mode - min) / (max - min) = 0.25
    assert quantile(TRI, 0.25) == pytest.approx(1.0)
    assert quantile(TRI, 0.0) == 0.0 and quantile(TRI, 1.0) == pytest.approx(4.0)
    assert quantile(LOGN, 0.5) == pytest.approx(1.5)
    # lognormal P90 = median * exp(1.2815515655 * sigma)
    assert quantile(LOGN, 0.9) == pytest.approx(1.5 * np.exp(1.2815515655446004 * 0.3))
    # discrete sorted by value: 0 (p .5), 1 (p .3), 3 (p .2)
    assert list(quantile(DISC, np.array([0.1, 0.49, 0.51, 0.79, 0.81]))) == [0, 0, 1, 1, 3]


def test_sampled_moments_match_theory():
    rng = np.random.default_rng(7)
    n = 200_000
    tri = sample(TRI, rng, n)
    assert tri.mean() == pytest.approx((0 + 1 + 4) / 3, abs=0.01)
    assert tri.min() >= 0 and tri.max() <= 4
    logn = sample(LOGN, rng, n)
    assert np.median(logn) == pytest.approx(1.5, rel=0.01)
    assert np.log(logn).std() == pytest.approx(0.3, rel=0.01)
    disc = sample(DISC, rng, n)
    assert np.mean(disc == 3.0) == pytest.approx(0.2, abs=0.005)


def test_transform_checks_shape():
    with pytest.raises(ValidationError):
        transform([TRI, UNI], np.zeros((3, 3)))
    with pytest.raises(ValidationError):
        quantile(TRI, 1.5)


# ----------------------------------------------------------------- seeding
def test_draw_seed_equals_spawned_child():
    children = np.random.SeedSequence(42).spawn(50)
    for i in (0, 7, 49):
        assert np.array_equal(draw_seed_sequence(42, i).generate_state(4),
                              children[i].generate_state(4))


def test_uniforms_depend_on_index_only():
    whole = draw_uniforms(3, 0, 20, 4)
    assert np.array_equal(whole[5:9], draw_uniforms(3, 5, 9, 4))
    assert not np.array_equal(whole, draw_uniforms(4, 0, 20, 4))


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed(seed):
    with pytest.raises(ValidationError, match="seed"):
        draw_uniforms(seed, 0, 2, 1)


def test_local_pool_equals_serial_bit_for_bit():
    ev = DrawEvaluator(ToyModel(), TOY_UNCS)
    x1, y1 = run_draws(ev, 11, 301, LocalExecutor(workers=1), chunk_size=301)
    x2, y2 = run_draws(ev, 11, 301, LocalExecutor(workers=2), chunk_size=17)
    assert x1.tobytes() == x2.tobytes() and y1.tobytes() == y2.tobytes()
    assert y1.shape == (301, 2)


def test_worker_killed_mid_run_is_retried_no_draw_lost(tmp_path):
    marker = tmp_path / "died"
    ref_x, ref_y = run_draws(DrawEvaluator(ToyModel(), TOY_UNCS), 11, 200,
                             LocalExecutor(workers=1))
    model = ToyModel(marker=str(marker))
    x, y = run_draws(DrawEvaluator(model, TOY_UNCS), 11, 200, LocalExecutor(workers=2),
                     chunk_size=10)
    assert marker.exists() and int(marker.read_text()) != os.getpid()  # a worker did die
    assert x.tobytes() == ref_x.tobytes() and y.tobytes() == ref_y.tobytes()


def test_assemble_catches_lost_and_double_draws():
    def r(a, b):
        return ChunkResult(a, b, np.zeros((b - a, 1)), np.zeros((b - a, 1)))
    assert assemble([r(5, 10), r(0, 5)], 10)[0].shape == (10, 1)
    with pytest.raises(ExecutorError, match="1 counted more than once"):
        assemble([r(0, 5), r(4, 10)], 10)
    with pytest.raises(ExecutorError, match="2 draws missing"):
        assemble([r(0, 5), r(7, 10)], 10)


@pytest.mark.parametrize("n", [0, -3])
def test_no_draws_refused(n):
    with pytest.raises(ValidationError, match="draws"):
        chunks(n, 10)
    with pytest.raises(GigawattError, match="draws"):
        run_risk(ToyModel(), TOY_UNCS, scenario="t", draws=n, seed=1)


def test_unknown_executor():
    with pytest.raises(ValidationError, match="allowed: local, ray"):
        get_executor("dask")


def test_run_risk_summary_and_tornado():
    res = run_risk(ToyModel(), TOY_UNCS, scenario="toy", draws=2000, seed=5, workers=1)
    d = res.to_dict()
    assert d["draws"] == 2000 and set(d["outcomes"]) == {"cost_usd", "delivered_exaflops"}
    o = d["outcomes"]["cost_usd"]
    assert o["p10"] < o["p50"] < o["p90"]
    # the price factor (0.8..1.5) moves cost more than the delay (x1..1.2)
    assert [t["input"] for t in d["tornado"]][:2] == ["price", "delay"]
    # mfu has no effect on cost: zero swing, and it leads the delivered-compute tornado
    assert d["tornado"][2]["swing"] == 0
    delivered = d["tornado_by_outcome"]["delivered_exaflops"]
    assert delivered[0]["input"] == "delay" and delivered[0]["spearman"] < -0.8
    cost = res.outcome("cost_usd")
    assert d["milestones"]["cost_under_120"] == pytest.approx(np.mean(cost <= 120))
    assert res.to_frame().shape == (2000, 5)
    # base: every input at its median; the triangular median is max - sqrt(0.5 * 0.7 * 0.5)
    assert d["at_median"]["cost_usd"] == pytest.approx(100 * (1.5 - np.sqrt(0.175)) * 1.1)


# ----------------------------------------------------------------- analysis
def test_rank_and_spearman():
    assert list(rank(np.array([3.0, 1.0, 3.0, 2.0]))) == [3.5, 1.0, 3.5, 2.0]
    x = np.arange(50.0)
    assert spearman(x, np.exp(x / 10)) == pytest.approx(1.0)
    assert spearman(x, -x**3) == pytest.approx(-1.0)
    assert np.isnan(spearman(x, np.ones(50)))


def test_summarise_ignores_undefined():
    s = summarise(np.array([1.0, 2.0, np.nan, 3.0]))
    assert s["p50"] == 2.0 and s["defined_fraction"] == 0.75


def test_progress_reports_every_chunk_up_to_the_total():
    seen = []
    run_draws(DrawEvaluator(ToyModel(), TOY_UNCS), 11, 95, LocalExecutor(workers=1),
              chunk_size=10, progress=lambda done, total: seen.append((done, total)))
    assert [d for d, _ in seen] == list(range(10, 100, 10))[:9] + [95]
    assert {t for _, t in seen} == {95}


def test_draws_and_extra_rows_in_one_run():
    rows = np.array([[1.0, 0.0, 1.0], [1.2, 2.0, 0.8]])
    ev = DrawEvaluator(ToyModel(), TOY_UNCS, draws=30, extra=rows)
    x, y = run_draws(ev, 4, 32, LocalExecutor(workers=1), chunk_size=7)
    only = run_draws(DrawEvaluator(ToyModel(), TOY_UNCS), 4, 30, LocalExecutor(workers=1))
    assert x[:30].tobytes() == only[0].tobytes() and np.array_equal(x[30:], rows)
    assert y[31] == pytest.approx([100 * 1.2 * 1.2, 10 / 3 * 0.8])
