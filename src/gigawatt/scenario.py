"""Scenario files: a build-out programme (phases, sites, accelerators, supply, workloads,
uncertainties), validated against the schema and the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .catalog import Catalog, load_catalog
from .catalog.base import Source
from .errors import InputFileError, UnknownIdError, ValidationError
from .financing import Financing, check_financing
from .limits import (MAX_DELAY_YEARS, MAX_FACTOR, Year, BatchTokens, Count, Days, Factor, Finite, HbmGb,
                     PowerMw, StrictNumbers, Tokens, UnitPriceUsd, Usd)
from .validation import validation_error
from .catalog.loader import KIND
from .yamlio import YamlDoc, parse_yaml, path_key, read_yaml

SCENARIO_DIR = Path(__file__).parent / "scenarios"


class _Strict(StrictNumbers):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Phase(_Strict):
    """A phase of the programme: a span of years with its own budget."""

    id: str = Field(description="Phase id, e.g. 'phase-1'.")
    start_year: int = Field(ge=2015, le=2050, description="First year of the phase.")
    end_year: int = Field(ge=2015, le=2050, description="Last year of the phase (inclusive).")
    budget_usd: Usd = Field(gt=0, description="Capex budget of the phase, USD.")
    source: str | None = Field(None, description="Source id stating this phase.")

    @model_validator(mode="after")
    def _order(self) -> "Phase":
        if self.end_year < self.start_year:
            raise ValueError(f"end_year ({self.end_year}) is before start_year "
                             f"({self.start_year})")
        return self


class SiteOption(_Strict):
    """A candidate site, with optional overrides of the catalog's site facts."""

    site: str = Field(description="Catalog site id.")
    power_mw_by_year: dict[Year, PowerMw] | None = Field(
        None, description="Override: power deliverable by year, MW (>= 0).")
    power_sources: list[str] | None = Field(None, description="Override: allowed power "
                                            "source ids.")
    pue: float | None = Field(None, ge=1.0, le=3.0, description="Override PUE.")
    grid_mw_by_year: dict[Year, PowerMw] | None = Field(
        None, description="Override: grid interconnection the utility delivers by year, MW "
        "(>= 0; the latest entry at or before a year applies).")
    source: str | None = Field(None, description="Source id for the overrides.")

    @model_validator(mode="after")
    def _nonneg(self) -> "SiteOption":
        for name in ("power_mw_by_year", "grid_mw_by_year"):
            for year, mw in (getattr(self, name) or {}).items():
                if mw < 0:
                    raise ValueError(f"{name}[{year}] = {mw}; allowed: >= 0")
        return self


class PowerOptions(_Strict):
    """Programme-wide power policy: carbon price, emissions cap, market supply limits."""

    carbon_price_usd_per_tco2: float = Field(0.0, ge=0, le=10_000, description="Price "
                                             "paid per tCO2 emitted, USD (0 to 10,000).")
    emissions_cap_tco2_by_year: dict[Year, float] = Field(
        default_factory=dict, description="Most tCO2 the programme may emit in a year "
        "(years not listed: no cap; >= 0).")
    source_supply_mw_by_year: dict[str, dict[Year, float]] = Field(
        default_factory=dict, description="Override per power source id: new MW obtainable "
        "per year over all sites (>= 0; replaces the catalog's supply_mw_per_year).")
    representative_days: int = Field(
        4, ge=2, le=365, description="Days of each year on which supply is matched to load "
        "hour block by hour block (2 to 365; the worst solar day is always one of them; "
        "365: every day of the year).")
    hours_per_block: Literal[1, 2, 3, 4, 6] = Field(
        4, description="Length of a dispatch block, hours (1, 2, 3, 4 or 6; 1 with "
        "representative_days 365 is a full hourly year).")
    reserve_margin: float = Field(
        0.0, ge=0, le=1, description="Firm capacity each site holds above its peak load, as "
        "a fraction of it (0 to 1; on top of the N+1 unit when n_plus_one).")
    n_plus_one: bool = Field(
        True, description="Each site keeps its peak load when its largest on-site unit (a "
        "turbine, an engine, a CCGT block, the PPA plant) trips.")

    @model_validator(mode="after")
    def _nonneg(self) -> "PowerOptions":
        for year, t in self.emissions_cap_tco2_by_year.items():
            if t < 0:
                raise ValueError(f"emissions_cap_tco2_by_year[{year}] = {t}; allowed: >= 0")
        for src, years in self.source_supply_mw_by_year.items():
            for year, mw in years.items():
                if mw < 0:
                    raise ValueError(f"source_supply_mw_by_year.{src}[{year}] = {mw}; "
                                     "allowed: >= 0")
        return self


class AcceleratorOption(_Strict):
    """An accelerator the programme may buy, when, and how many per year."""

    accelerator: str = Field(description="Catalog accelerator id.")
    available_from: int = Field(ge=2015, le=2050, description="First year it can be "
                                "installed.")
    available_to: int | None = Field(None, ge=2015, le=2050, description="Last year it can "
                                     "be installed (None: open).")
    supply_cap_by_year: dict[Year, Count] = Field(default_factory=dict, description=(
        "Most units the programme can obtain per year (years not listed: no cap)."))
    price_usd: UnitPriceUsd | None = Field(None, gt=0, description="Override unit price, USD.")
    source: str | None = Field(None, description="Source id for availability and caps.")

    @model_validator(mode="after")
    def _window(self) -> "AcceleratorOption":
        if self.available_to is not None and self.available_to < self.available_from:
            raise ValueError(f"available_to ({self.available_to}) is before available_from "
                             f"({self.available_from})")
        for year, cap in self.supply_cap_by_year.items():
            if cap < 0:
                raise ValueError(f"supply_cap_by_year[{year}] = {cap}; allowed: >= 0")
            if year < self.available_from or (self.available_to and year > self.available_to):
                raise ValueError(
                    f"supply_cap_by_year has year {year}, outside the availability window "
                    f"{self.available_from}..{self.available_to or 'open'}")
        return self


class ExistingFleet(_Strict):
    """Accelerators already installed when the programme starts."""

    accelerator: str = Field(description="Catalog accelerator id.")
    count: Count = Field(ge=1, description="Units installed.")
    site: str = Field(description="Site id where they are installed (one of the "
                      "scenario's sites).")
    installed_year: int = Field(ge=2015, le=2050, description="Year they were installed.")
    source: str | None = Field(None, description="Source id.")


class TrainingWorkload(_Strict):
    """A reference training run that must finish by a deadline."""

    id: str = Field(description="Workload id.")
    model: str = Field(description="Catalog LLM id.")
    tokens: Tokens = Field(gt=0, description="Training tokens.")
    deadline_year: int = Field(ge=2015, le=2050, description="Year by whose end it must "
                               "have finished.")
    max_days: Days = Field(120, gt=0, description="Longest acceptable run, days.")
    precision: Literal["bf16", "fp8"] = Field("bf16", description="Training precision.")
    source: str | None = Field(None, description="Source id.")


class InferenceWorkload(_Strict):
    """An inference demand to serve from a year on."""

    id: str = Field(description="Workload id.")
    demand: str = Field(description="Catalog demand preset id.")
    from_year: int = Field(ge=2015, le=2050, description="First year it must be served.")
    scale: Factor = Field(1.0, gt=0, description="Multiplier on the preset's tokens/day.")
    growth_per_year: float = Field(0.0, ge=-0.9, le=10, description="Yearly growth of the "
                                   "demand after from_year (0.5 = +50%/year).")
    source: str | None = Field(None, description="Source id.")


class SiteLinkOption(_Strict):
    """Sites joined by a wide-area link, which one training run may span (data parallelism
    reduced hierarchically over the link, or pipeline stages split across it; see
    ``gigawatt train --sites``)."""

    id: str = Field(description="Link id.")
    sites: list[str] = Field(min_length=2, max_length=16, description="Scenario site ids "
                             "the link joins (a run spans them with equal shares).")
    wan_tbps: float = Field(gt=0, le=1e6, description="Bandwidth each site has to the "
                            "others over the link, Tbit/s, one direction.")
    wan_latency_ms: float = Field(ge=0, le=1e4, description="One-way latency between the "
                                  "sites, ms.")
    mode: Literal["auto", "dp", "pp"] = Field("auto", description="Layout across the link: "
                                              "data parallel, pipeline, or the cheaper.")
    source: str | None = Field(None, description="Source id for the link's figures.")


class Workloads(_Strict):
    """What the build-out must deliver: training runs and inference demand."""

    training: list[TrainingWorkload] = Field(
        default_factory=list, description="Reference training runs with deadlines.")
    inference: list[InferenceWorkload] = Field(
        default_factory=list, description="Inference demands to serve from a year on.")


UNCERTAINTY_KINDS = {
    "accelerator_delay_years": "accelerator",
    "accelerator_price_factor": "accelerator",
    "hbm_supply_factor": "hbm_supplier",
    "construction_factor": None,
    "power_delay_years": "site",
    "electricity_price_factor": None,
    "failure_rate_factor": None,
    "mfu_factor": None,
    "accelerator_mfu_factor": "accelerator",
    "budget_factor": None,
}


class Uncertainty(_Strict):
    """A distribution on one input of the plan (for the risk layer)."""

    id: str = Field(description="Name of the uncertainty.")
    kind: Literal[tuple(UNCERTAINTY_KINDS)] = Field(  # type: ignore[valid-type]
        description="What it perturbs: " + ", ".join(UNCERTAINTY_KINDS) + ".")
    of: str | None = Field(None, description="Which accelerator, HBM supplier or site "
                           "(for kinds that need one).")
    distribution: Literal["triangular", "uniform", "lognormal", "discrete"] = Field(
        description="Shape of the distribution; its parameters below.")
    min: Finite | None = Field(None, description="triangular/uniform: lower bound.")
    mode: Finite | None = Field(None, description="triangular: most likely value.")
    max: Finite | None = Field(None, description="triangular/uniform: upper bound.")
    median: Finite | None = Field(None, gt=0, description="lognormal: median.")
    sigma: Finite | None = Field(None, gt=0, le=3, description="lognormal: sigma of "
                                 "log (> 0, <= 3).")
    values: list[Finite] | None = Field(None, description="discrete: the values.")
    probs: list[Finite] | None = Field(None, description="discrete: their probabilities.")
    source: str | None = Field(None, description="Source id.")

    @model_validator(mode="after")
    def _params(self) -> "Uncertainty":
        d = self.distribution
        if d in ("triangular", "uniform"):
            if self.min is None or self.max is None:
                raise ValueError(f"{d} needs min and max")
            if self.min > self.max:
                raise ValueError(f"min ({self.min}) > max ({self.max})")
            if d == "triangular":
                if self.mode is None:
                    raise ValueError("triangular needs mode")
                if not self.min <= self.mode <= self.max:
                    raise ValueError(f"mode ({self.mode}) outside [min, max] = "
                                     f"[{self.min}, {self.max}]")
        elif d == "lognormal":
            if self.median is None or self.sigma is None:
                raise ValueError("lognormal needs median (> 0) and sigma (> 0)")
        elif d == "discrete":
            if not self.values or not self.probs or len(self.values) != len(self.probs):
                raise ValueError("discrete needs values and probs of the same length")
            if any(p < 0 for p in self.probs) or abs(sum(self.probs) - 1) > 1e-6:
                raise ValueError(f"probs must be >= 0 and sum to 1 (sum {sum(self.probs)})")
        self._check_range()
        if UNCERTAINTY_KINDS[self.kind] and not self.of:
            raise ValueError(f"kind {self.kind} needs 'of' (a {UNCERTAINTY_KINDS[self.kind]} id)")
        return self


    def _check_range(self) -> None:
        """Delays are years >= 0 (an early delivery is not a delay); factors are >= 0."""
        delay = self.kind.endswith("_delay_years")
        hi = MAX_DELAY_YEARS if delay else MAX_FACTOR
        what = "a delay in years" if delay else "a factor"
        named = [("min", self.min), ("mode", self.mode), ("max", self.max),
                 ("median", self.median)] + [(f"values[{i}]", v)
                                             for i, v in enumerate(self.values or [])]
        for name, v in named:
            if v is not None and not 0 <= v <= hi:
                raise ValueError(f"{name} = {v} is out of range for {what} ({self.kind}); "
                                 f"allowed: >= 0 and <= {hi:g}")


class Scenario(_Strict):
    """A build-out programme to plan, simulate and stress-test."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$", description="Scenario id.")
    name: str = Field(description="Title.")
    description: str = Field("", description="What the programme is.")
    sources: list[Source] = Field(default_factory=list, description="Documents the "
                                  "scenario's facts cite (ids may also be catalog sources).")
    source: str | None = Field(None, description="Source id of the programme as a whole.")
    start_year: int = Field(ge=2015, le=2050, description="First year of the programme.")
    end_year: int = Field(ge=2015, le=2060, description="Last year evaluated.")
    discount_rate: float = Field(0.08, ge=0, le=0.5, description="Real discount rate per year.")
    hardware_life_years: float = Field(5, gt=0, le=15, description="Accelerator economic "
                                       "life, years (for cost per GPU-hour).")
    phases: list[Phase] = Field(min_length=1, description="Phases in time order.")
    sites: list[SiteOption] = Field(min_length=1, description="Candidate sites.")
    accelerators: list[AcceleratorOption] = Field(min_length=1, description="Candidate "
                                                  "accelerators.")
    hbm_supply_gb_by_year: dict[str, dict[Year, HbmGb]] = Field(
        default_factory=dict, description="HBM the programme can obtain per supplier per "
        "year, GB (suppliers not listed: no cap).")
    existing: list[ExistingFleet] = Field(default_factory=list, description="Installed base "
                                          "at the start (counts towards power and compute).")
    vendor_max_share: float | None = Field(None, gt=0, le=1, description="Largest share of "
                                           "accelerators (by count) from one vendor.")
    objective: Literal["max_effective_compute", "min_cost"] = Field(
        "max_effective_compute", description="What the planner optimises.")
    reference_model: str = Field("llama-3.1-405b", description="LLM whose MFU defines "
                                 "effective compute.")
    reference_global_batch_tokens: BatchTokens = Field(
        16_777_216, gt=0, description="Tokens per optimizer step of the reference and "
        "workload training runs; sets the global batch of the training searches that give "
        "MFU (default: Llama 3 405B's 16M tokens, 2,048 sequences of 8,192; Grattafiori et "
        "al. 2024, Table 4). Without it the search would pick any batch and overstate MFU.")
    workloads: Workloads = Field(default_factory=Workloads, description="Training runs and "
                                 "inference demand the build-out must deliver.")
    links: list[SiteLinkOption] = Field(default_factory=list, description="Wide-area links "
                                        "between sites that one training run may span.")
    uncertainties: list[Uncertainty] = Field(default_factory=list, description="Distributions "
                                             "on inputs, for `gigawatt risk`.")
    power: PowerOptions | None = Field(None, description="Carbon price, emissions cap and "
                                       "power-source supply limits for the planner.")
    financing: Financing | None = Field(None, description="Who pays, when, at what cost, "
                                        "and what the capacity earns (for `gigawatt "
                                        "finance`; see docs/finance.md).")

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        if self.end_year < self.start_year:
            raise ValueError(f"end_year ({self.end_year}) is before start_year "
                             f"({self.start_year})")
        prev = None
        for p in self.phases:
            if p.start_year < self.start_year or p.end_year > self.end_year:
                raise ValueError(f"phase {p.id} ({p.start_year}-{p.end_year}) lies outside "
                                 f"the programme {self.start_year}-{self.end_year}")
            if prev and p.start_year <= prev.end_year:
                raise ValueError(f"phase {p.id} starts in {p.start_year}, before phase "
                                 f"{prev.id} ends ({prev.end_year}); phases must not overlap")
            prev = p
        for supplier, years in self.hbm_supply_gb_by_year.items():
            for year, gb in years.items():
                if gb < 0:
                    raise ValueError(f"hbm_supply_gb_by_year.{supplier}[{year}] = {gb}; "
                                     "allowed: >= 0")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    @property
    def budget_usd(self) -> float:
        return sum(p.budget_usd for p in self.phases)

    def source_ids(self) -> set[str]:
        return {s.id for s in self.sources}


def _no_duplicates(sc: Scenario, doc: YamlDoc) -> None:
    """Each phase, site, accelerator, workload, uncertainty and source is listed once."""
    lists = [(["phases"], "id", sc.phases), (["sites"], "site", sc.sites),
             (["accelerators"], "accelerator", sc.accelerators),
             (["workloads", "training"], "id", sc.workloads.training),
             (["workloads", "inference"], "id", sc.workloads.inference),
             (["uncertainties"], "id", sc.uncertainties), (["sources"], "id", sc.sources)]
    for part, key, items in lists:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            value = getattr(item, key)
            if value in seen:
                loc = part + [i, key]
                raise ValidationError(
                    f"duplicate {key} '{value}' (also at {path_key(part + [seen[value]])}); "
                    "each must be listed once", file=doc.file, line=doc.line_of(loc),
                    field=path_key(loc))
            seen[value] = i


def _check_catalog_refs(sc: Scenario, cat: Catalog, doc: YamlDoc) -> None:
    """Ids the scenario names must exist in the catalog (or its own sources)."""
    def check(table: str, key: str, loc: list[Any], known: dict | None = None) -> None:
        rows = known if known is not None else cat.table(table)
        if key not in rows:
            raise UnknownIdError(KIND.get(table, table), key, rows, file=doc.file,
                                 line=doc.line_of(loc), field=path_key(loc))

    all_sources = {**cat.sources, **{s.id: s for s in sc.sources}}
    for i, s in enumerate(sc.sites):
        check("sites", s.site, ["sites", i, "site"])
        for j, p in enumerate(s.power_sources or []):
            check("power_sources", p, ["sites", i, "power_sources", j])
    for i, a in enumerate(sc.accelerators):
        check("accelerators", a.accelerator, ["accelerators", i, "accelerator"])
        acc = cat.accelerator(a.accelerator)
        if a.available_from < acc.year:
            raise ValidationError(
                f"available_from {a.available_from} is before {acc.name} exists "
                f"(general availability {acc.year}); allowed: >= {acc.year}",
                file=doc.file, line=doc.line_of(["accelerators", i, "available_from"]),
                field=f"accelerators[{i}].available_from")
    site_ids = {s.site: s for s in sc.sites}
    for i, e in enumerate(sc.existing):
        check("accelerators", e.accelerator, ["existing", i, "accelerator"])
        check("sites", e.site, ["existing", i, "site"], site_ids)
    for i, link in enumerate(sc.links):
        for j, site in enumerate(link.sites):
            check("sites", site, ["links", i, "sites", j], site_ids)
        if len(set(link.sites)) != len(link.sites):
            raise ValidationError(f"link {link.id} names a site twice ({link.sites}); "
                                  "allowed: distinct scenario site ids", file=doc.file,
                                  line=doc.line_of(["links", i, "sites"]),
                                  field=f"links[{i}].sites")
    for supplier in sc.hbm_supply_gb_by_year:
        check("hbm_suppliers", supplier, ["hbm_supply_gb_by_year", supplier])
    for src in (sc.power.source_supply_mw_by_year if sc.power else {}):
        check("power_sources", src, ["power", "source_supply_mw_by_year", src])
    check("models", sc.reference_model, ["reference_model"])
    for i, w in enumerate(sc.workloads.training):
        check("models", w.model, ["workloads", "training", i, "model"])
    for i, w in enumerate(sc.workloads.inference):
        check("demands", w.demand, ["workloads", "inference", i, "demand"])
    targets = {"accelerator": ("accelerators", {a.accelerator: a for a in sc.accelerators}),
               "site": ("sites", {s.site: s for s in sc.sites}),
               "hbm_supplier": ("hbm_suppliers", None)}
    for i, u in enumerate(sc.uncertainties):
        need = UNCERTAINTY_KINDS[u.kind]
        if need and u.of is not None:
            table, known = targets[need]
            check(table, u.of, ["uncertainties", i, "of"], known)
    cited = [(["source"], sc.source)] + [
        ([part, i, "source"], getattr(x, "source", None))
        for part, items in (("phases", sc.phases), ("sites", sc.sites),
                            ("accelerators", sc.accelerators), ("uncertainties", sc.uncertainties),
                            ("existing", sc.existing))
        for i, x in enumerate(items)]
    for loc, sid in cited:
        if sid is not None:
            check("sources", sid, loc, all_sources)
    if sc.financing is not None:
        check_financing(sc.financing, start_year=sc.start_year, end_year=sc.end_year,
                        life_years=sc.hardware_life_years, site_ids=set(site_ids),
                        source_ids=set(all_sources), doc=doc)


def scenario_from_doc(doc: YamlDoc, catalog: Catalog | None = None) -> Scenario:
    """Validate a parsed scenario document against the schema and the catalog."""
    if not isinstance(doc.data, dict):
        raise ValidationError("a scenario file is a mapping (id, name, phases, sites, ...)",
                              file=doc.file, line=1)
    try:
        sc = Scenario.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, doc) from None
    _no_duplicates(sc, doc)
    _check_catalog_refs(sc, catalog or load_catalog(), doc)
    return sc


def builtin_scenarios() -> list[str]:
    """Ids of the scenarios shipped with gigawatt."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def scenario_path(ref: str | Path) -> Path:
    """Resolve a built-in id or a file path to a file."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    builtin = SCENARIO_DIR / f"{ref}.yaml"
    if builtin.exists():
        return builtin
    raise UnknownIdError("scenario", str(ref), builtin_scenarios())


def load_scenario(ref: str | Path, catalog: Catalog | None = None) -> Scenario:
    """Load a scenario by built-in id (``stargate``) or by file path."""
    path = scenario_path(ref)
    return scenario_from_doc(read_yaml(path), catalog)


def parse_scenario(text: str, file: str = "<string>",
                   catalog: Catalog | None = None) -> Scenario:
    """Load a scenario from YAML text."""
    return scenario_from_doc(parse_yaml(text, file), catalog)


def scenario_schema() -> dict[str, Any]:
    """The scenario JSON Schema (for editor completion)."""
    return Scenario.model_json_schema()


__all__ = ["Scenario", "load_scenario", "parse_scenario", "scenario_schema",
           "builtin_scenarios", "InputFileError"]
