"""The result of a risk run: draws, outcome percentiles, milestone odds, tornado."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..numfmt import ResultRepr, with_units
from .analysis import Swing, summarise


@dataclass(frozen=True)
class Milestone:
    """A target an outcome must meet: ``outcome <= threshold`` (``at_most``) or ``>=``."""

    name: str
    outcome: str
    threshold: float
    at_most: bool
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "outcome": self.outcome, "threshold": self.threshold,
                "at_most": self.at_most, "description": self.description}


@dataclass(frozen=True, eq=False, repr=False)
class RiskResult(ResultRepr):
    """A Monte Carlo run over a scenario's uncertainties.

    Attributes
    ----------
    scenario : scenario id.
    seed : the run's seed (draw ``i`` used ``SeedSequence(seed).spawn(draws)[i]``).
    fixed_plan : True when each draw evaluated the base plan; False when it re-solved.
    input_names : one per uncertainty (its id), columns of ``inputs``.
    input_kinds : the uncertainty kind of each input.
    inputs : (draws x inputs) sampled values, in each uncertainty's unit.
    outcome_names : columns of ``outcomes``; units are in the names.
    outcomes : (draws x outcomes); NaN where an outcome is undefined for a draw.
    base : outcomes with every input at its median (the tornado's centre).
    planned : outcomes of the base plan with no uncertainty (every delay 0, every factor
        1): what the plan promises, against which the milestones are set.
    milestones : the targets tested, and ``milestone_probabilities`` their odds.
    tornado : per outcome, the swings ranked largest first.
    primary_outcome : the outcome whose tornado is the headline ranking.
    timings_s : ``wall_s``, the executor run's wall time (draws and the tornado's 2k+1
        one-at-a-time points, ``evaluations`` in all), s; left out of ``to_dict`` so equal
        seeds give equal JSON.
    """

    scenario: str
    seed: int
    fixed_plan: bool
    input_names: list[str]
    input_kinds: list[str]
    inputs: np.ndarray
    outcome_names: list[str]
    outcomes: np.ndarray
    base: dict[str, float]
    milestones: list[Milestone]
    milestone_probabilities: dict[str, float]
    tornado: dict[str, list[Swing]]
    primary_outcome: str
    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    planned: dict[str, float] = field(default_factory=dict)

    @property
    def draws(self) -> int:
        return int(self.outcomes.shape[0])

    def outcome(self, name: str) -> np.ndarray:
        """The draws of one outcome."""
        return self.outcomes[:, self.outcome_names.index(name)]

    def outcome_summary(self) -> dict[str, dict[str, float]]:
        """P10/P50/P90/mean (and defined fraction) of each outcome, as plain dicts."""
        return {n: summarise(self.outcomes[:, k]) for k, n in enumerate(self.outcome_names)}

    def summary(self) -> pd.DataFrame:
        """One row per outcome (index ``outcome``): P10, P50, P90, mean, the fraction of
        draws where it is defined, the value with every input at its median and the
        planned value; ``attrs["unit"]`` gives each outcome's unit (``attrs["unit"]
        ["outcome"]``) from its name."""
        from ..numfmt import unit_of

        df = pd.DataFrame.from_dict(self.outcome_summary(), orient="index")
        df["at_median"] = [self.base.get(n, np.nan) for n in df.index]
        df["planned"] = [self.planned.get(n, np.nan) for n in df.index]
        df.index.name = "outcome"
        df.attrs["unit"] = {"outcome": {n: unit_of(n) for n in df.index}}
        return df

    def _headline(self) -> dict[str, Any]:
        p50 = {f"p50_{n}": s["p50"] for n, s in self.outcome_summary().items()}
        return {"scenario": self.scenario, "draws": self.draws, "seed": self.seed,
                "fixed_plan": self.fixed_plan, **dict(list(p50.items())[:3])}

    def _repr_extra_html(self) -> str:
        return self.summary().to_html(float_format=lambda v: f"{v:,.4g}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary in the DESIGN.md shape (draws themselves: ``to_frame``)."""
        return {
            "scenario": self.scenario, "draws": self.draws, "seed": self.seed,
            "fixed_plan": self.fixed_plan, "primary_outcome": self.primary_outcome,
            "outcomes": self.outcome_summary(),
            "planned": dict(self.planned),
            "at_median": dict(self.base),
            "milestones": dict(self.milestone_probabilities),
            "milestone_definitions": [m.to_dict() for m in self.milestones],
            "tornado": [{"input": s.input, "swing": s.swing, "spearman": s.spearman,
                         "outcome_at_p10": s.outcome_at_p10, "outcome_at_p90": s.outcome_at_p90}
                        for s in self.tornado[self.primary_outcome]],
            "tornado_by_outcome": {o: [s.to_dict() for s in bars]
                                   for o, bars in self.tornado.items()},
            "inputs": {n: {"kind": k, **summarise(self.inputs[:, j])}
                       for j, (n, k) in enumerate(zip(self.input_names, self.input_kinds))},
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per draw (index ``draw``): the sampled inputs, then the outcomes."""
        df = pd.DataFrame(np.hstack([self.inputs, self.outcomes]),
                          columns=[f"input:{n}" for n in self.input_names] + self.outcome_names)
        return with_units(df.rename_axis("draw"))


__all__ = ["RiskResult", "Milestone"]
