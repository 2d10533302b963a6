"""What each accelerator achieves on the scenario's workloads, from the performance models.

A chip counts in the plan by what it achieves, not by its peak: the effective FLOP/s of an
accelerator is its dense BF16 peak times the MFU the training model predicts for the
scenario's reference model on a reference cluster of that accelerator; a training
workload's rate is the tokens/s per GPU of the best plan the training search finds; an
inference workload's rate is the output tokens/s per GPU the inference model finds within
the demand's SLOs. The optimisation takes these as plain tables (:class:`Capability`),
so tests and the risk layer can pass their own numbers.

Results of the performance models are cached per (model, accelerator, cluster size,
precision) in the process, and, when a ``cache_dir`` is given, on disk under a key that
hashes the catalog rows involved and the performance model's source, so a changed
catalog value or model never reads a stale entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ..catalog import Catalog
from ..errors import GigawattError
from ..scenario import Scenario

#: GPUs in the reference cluster on which MFU and training rates are evaluated (the size of
#: the Llama 3 405B pre-training cluster, a common frontier-run size).
REFERENCE_CLUSTER_GPUS = 16384


@dataclass(frozen=True)
class Capability:
    """Per-accelerator rates the planner uses (0 where a pair cannot run).

    Attributes
    ----------
    mfu : accelerator -> model FLOPs utilisation on the reference model (0..1).
    training_tokens_per_s_per_gpu : accelerator x training workload id.
    inference_tokens_per_s_per_gpu : accelerator x inference workload id (output tokens).
    notes : pairs that could not run, with the performance model's reason.
    cluster_gpus : reference cluster size the training rates were evaluated at.
    """

    mfu: dict[str, float]
    training_tokens_per_s_per_gpu: pd.DataFrame
    inference_tokens_per_s_per_gpu: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    cluster_gpus: int = REFERENCE_CLUSTER_GPUS

    def training_table(self, accelerators: list[str], workloads: list[Any]) -> pd.DataFrame:
        """Accelerator x workload tokens/s per GPU, in the given order (missing: 0)."""
        return _reindex(self.training_tokens_per_s_per_gpu, accelerators,
                        [w.id if hasattr(w, "id") else w for w in workloads])

    def inference_table(self, accelerators: list[str], workloads: list[Any]) -> pd.DataFrame:
        """Accelerator x workload output tokens/s per GPU, in the given order (missing: 0)."""
        return _reindex(self.inference_tokens_per_s_per_gpu, accelerators,
                        [w.id if hasattr(w, "id") else w for w in workloads])

    def to_frame(self) -> pd.DataFrame:
        """One row per accelerator: MFU and each workload's rate."""
        df = pd.DataFrame({"mfu": pd.Series(self.mfu)}).rename_axis("accelerator")
        tr = self.training_tokens_per_s_per_gpu.add_prefix("training_tokens_per_s_per_gpu:")
        inf = self.inference_tokens_per_s_per_gpu.add_prefix("inference_tokens_per_s_per_gpu:")
        from ..numfmt import with_units

        return with_units(df.join(tr, how="left").join(inf, how="left"))


def _reindex(df: pd.DataFrame, rows: list[str], cols: list[str]) -> pd.DataFrame:
    out = df.reindex(index=rows, columns=cols).fillna(0.0).astype(float)
    return out.rename_axis(index="accelerator", columns="workload")


@lru_cache(maxsize=4096)
def _training_point(model: str, accelerator: str, gpus: int, precision: str,
                    global_batch: int, seq_len: int, tokens: float | None = None
                    ) -> tuple[float, float, str]:
    """(MFU, tokens/s per GPU, why-not) of the best training plan at a fixed global batch
    (sequences of ``seq_len`` tokens; ``tokens`` sets the run's batch ceiling); zeros if
    none runs."""
    from .. import perf

    try:
        best = perf.search_training(model, accelerator, gpus, precision=precision,
                                    global_batch=global_batch, seq_len=seq_len,
                                    tokens=tokens, top_k=1).best
    except GigawattError as exc:
        return 0.0, 0.0, str(exc)
    return float(best.mfu), float(best.tokens_per_s) / gpus, ""


@lru_cache(maxsize=4096)
def _inference_point(model: str, accelerator: str, prompt_tokens: int, output_tokens: int,
                     ttft_slo_s: float, tpot_slo_s: float) -> tuple[float, str]:
    """(output tokens/s per GPU, why-not) at the SLOs; zero if it cannot serve."""
    from .. import perf

    try:
        res = perf.max_throughput(model, accelerator, ep=None,  # EP searched for MoE
                                  prompt_tokens=prompt_tokens, output_tokens=output_tokens,
                                  ttft_slo_s=ttft_slo_s, tpot_slo_s=tpot_slo_s)
    except GigawattError as exc:
        return 0.0, str(exc)
    return float(res.output_tokens_per_s_per_gpu), ""


def _accelerator_ids(sc: Scenario) -> list[str]:
    """Options, then accelerators only in the installed base (they deliver compute too)."""
    ids = [o.accelerator for o in sc.accelerators]
    return ids + [e for e in dict.fromkeys(x.accelerator for x in sc.existing) if e not in ids]


@lru_cache(maxsize=1)
def _perf_digest() -> str:
    """Hash of the performance model's source and data files and of this module (part of
    every disk-cache key: a change to either never reads a stale entry)."""
    h = hashlib.sha256()
    perf = Path(__file__).parent.parent / "perf"
    files = [p for p in perf.rglob("*") if p.is_file() and p.suffix in (".py", ".json",
                                                                         ".yaml")]
    for path in sorted(files) + [Path(__file__)]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _cache_key(sc: Scenario, cat: Catalog, cluster_gpus: int) -> str:
    """Digest of everything the capability table depends on."""
    rows: dict[str, Any] = {"gpus": cluster_gpus, "perf": _perf_digest(),
                            "reference": sc.reference_model,
                            "batch_tokens": sc.reference_global_batch_tokens,
                            "training": [w.model_dump(mode="json")
                                         for w in sc.workloads.training],
                            "inference": [w.model_dump(mode="json")
                                          for w in sc.workloads.inference]}
    models = {sc.reference_model} | {w.model for w in sc.workloads.training}
    for w in sc.workloads.inference:
        d = cat.get("demands", w.demand)
        rows[f"demand:{d.id}"] = d.facts()
        models.add(d.model)
    for m in sorted(models):
        rows[f"model:{m}"] = cat.model(m).facts()
    for aid in _accelerator_ids(sc):
        acc = cat.accelerator(aid)
        system = cat.system(acc.system)
        rows[f"acc:{acc.id}"] = [acc.facts(), system.facts(),
                                 cat.get("fabrics", system.fabric).facts()]
    text = json.dumps(rows, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _read_cached(path: Path) -> Capability | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Capability(mfu=doc["mfu"],
                          training_tokens_per_s_per_gpu=pd.DataFrame(doc["training"]),
                          inference_tokens_per_s_per_gpu=pd.DataFrame(doc["inference"]),
                          notes=doc["notes"], cluster_gpus=doc["cluster_gpus"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cached(path: Path, cap: Capability) -> None:
    import os
    import tempfile

    doc = {"mfu": cap.mfu, "training": cap.training_tokens_per_s_per_gpu.to_dict(),
           "inference": cap.inference_tokens_per_s_per_gpu.to_dict(), "notes": cap.notes,
           "cluster_gpus": cap.cluster_gpus}
    try:  # atomically: a temp file in the same folder, then a rename
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc))
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written is only slower


def capability_for(sc: Scenario, cat: Catalog, cluster_gpus: int = REFERENCE_CLUSTER_GPUS,
                   cache_dir: Path | None = None) -> Capability:
    """Evaluate the performance models for every accelerator option of a scenario.

    Parameters
    ----------
    sc : the scenario (its accelerators, reference model and workloads).
    cat : the catalog (demand presets).
    cluster_gpus : reference cluster size for MFU and training rates.
    cache_dir : folder of the on-disk cache (None: no disk cache).
    """
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"capability-{_cache_key(sc, cat, cluster_gpus)}.json"
        cached = _read_cached(path)
        if cached is not None:
            return cached
    cap = _evaluate(sc, cat, cluster_gpus)
    if path is not None:
        _write_cached(path, cap)
    return cap


def _evaluate(sc: Scenario, cat: Catalog, cluster_gpus: int) -> Capability:
    """Run the performance models (see :func:`capability_for`)."""
    accs = _accelerator_ids(sc)
    notes: list[str] = []

    def batch_of(model: str, tokens: float | None = None) -> tuple[int, int]:
        """(global batch in sequences, sequence length): the reference batch in tokens,
        at most the run's batch ceiling (:func:`gigawatt.perf.batch.batch_ceiling`;
        without ``tokens`` a compute-optimal run of the model)."""
        from ..perf.batch import batch_ceiling
        from ..perf.llm import model_spec

        seq_len = cat.model(model).seq_len
        ceiling = batch_ceiling(model_spec(cat.model(model), seq_len), tokens)
        want = max(1, round(sc.reference_global_batch_tokens / seq_len))
        return min(want, ceiling.max_sequences(seq_len)), seq_len

    mfu: dict[str, float] = {}
    for a in accs:
        m, _, why = _training_point(sc.reference_model, a, cluster_gpus, "bf16",
                                    *batch_of(sc.reference_model))
        mfu[a] = m
        if why:
            notes.append(f"{a} cannot train reference model {sc.reference_model}: {why}")
    train = pd.DataFrame(0.0, index=accs, columns=[w.id for w in sc.workloads.training])
    for w in sc.workloads.training:
        for a in accs:
            _, rate, why = _training_point(w.model, a, cluster_gpus, w.precision,
                                           *batch_of(w.model, w.tokens), w.tokens)
            train.loc[a, w.id] = rate
            if why:
                notes.append(f"{a} cannot train {w.model} ({w.id}): {why}")
    inf = pd.DataFrame(0.0, index=accs, columns=[w.id for w in sc.workloads.inference])
    for w in sc.workloads.inference:
        d = cat.get("demands", w.demand)
        for a in accs:
            rate, why = _inference_point(d.model, a, d.prompt_tokens, d.output_tokens,
                                         d.ttft_slo_s, d.tpot_slo_s)
            inf.loc[a, w.id] = rate
            if why:
                notes.append(f"{a} cannot serve {d.model} ({w.id}) within its SLOs: {why}")
    return Capability(mfu=mfu, training_tokens_per_s_per_gpu=train,
                      inference_tokens_per_s_per_gpu=inf, notes=notes,
                      cluster_gpus=cluster_gpus)
