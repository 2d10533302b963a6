"""Catalog row types. Each field is declared once with its unit and range; the docs'
reference tables and the JSON Schema come from these declarations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..limits import MAX_BATCH_TOKENS, MAX_COUNT, StrictNumbers
from .base import SourcedRow

HbmSupplierId = Literal["sk-hynix", "samsung", "micron"]


class Accelerator(SourcedRow):
    """One accelerator (GPU, TPU chip, ASIC) as deployed in its reference system."""

    vendor: str = Field(description="Vendor id: nvidia, amd, google, aws, microsoft, intel.")
    family: str = Field(description="Architecture family, selects GEMM/collective "
                        "efficiency curves: ampere, hopper, blackwell, cdna3, cdna4, tpu, "
                        "trainium, maia, gaudi.")
    year: int = Field(ge=2015, le=2035, description="Year of general availability.")
    bf16_tflop_per_s: float = Field(gt=0, description="Dense BF16 peak, TFLOP/s.")
    fp8_tflop_per_s: float | None = Field(None, gt=0, description="Dense FP8 peak, TFLOP/s "
                                          "(None: no FP8 speed-up over BF16).")
    fp4_tflop_per_s: float | None = Field(None, gt=0, description="Dense FP4 peak, TFLOP/s.")
    hbm_gb: float = Field(gt=0, description="HBM capacity, GB (10^9 bytes).")
    hbm_tb_per_s: float = Field(gt=0, description="HBM bandwidth, TB/s.")
    hbm_generation: str = Field(description="HBM2e, HBM3, HBM3e, HBM4.")
    hbm_suppliers: list[HbmSupplierId] = Field(min_length=1, description="Reported HBM "
                                               "suppliers for this accelerator.")
    tdp_w: float = Field(gt=0, le=5000, description="Thermal design power, W.")
    scaleup_domain: int = Field(ge=1, description="Accelerators in one scale-up "
                                "(NVLink/ICI/Infinity Fabric) domain.")
    scaleup_gb_per_s: float = Field(gt=0, description="Scale-up bandwidth per accelerator, "
                                    "GB/s, one direction.")
    scaleout_gbit_per_s: float = Field(gt=0, description="Scale-out (IB/Ethernet) "
                                       "bandwidth per accelerator, Gbit/s, one direction.")
    price_usd: float = Field(gt=0, description="Unit price of the accelerator, USD.")
    all_in_power_w: float = Field(gt=0, description="IT power per accelerator in a "
                                  "deployed system: its share of host, network, storage, W.")
    system: str = Field(description="Id of the reference system it is deployed in.")

    @model_validator(mode="after")
    def _consistent(self) -> "Accelerator":
        if self.all_in_power_w < self.tdp_w:
            raise ValueError(f"all_in_power_w ({self.all_in_power_w}) must be at least "
                             f"tdp_w ({self.tdp_w})")
        return self

    def peak_tflop_per_s(self, precision: str) -> float:
        """Dense peak TFLOP/s at a precision, falling back to the next wider format."""
        if precision == "fp4" and self.fp4_tflop_per_s:
            return self.fp4_tflop_per_s
        if precision in ("fp4", "fp8") and self.fp8_tflop_per_s:
            return self.fp8_tflop_per_s
        return self.bf16_tflop_per_s


class System(SourcedRow):
    """A deployable unit: a server node or a rack-scale system."""

    accelerator: str = Field(description="Accelerator id it holds.")
    accelerators: int = Field(ge=1, description="Accelerators per system.")
    systems_per_rack: float = Field(gt=0, description="Systems per rack (<1 when a system "
                                    "spans racks).")
    rack_power_kw: float = Field(gt=0, description="IT power of one full rack, kW.")
    price_usd: float = Field(gt=0, description="Price of one system including its "
                             "accelerators, USD.")
    cooling: Literal["air", "liquid"] = Field(description="Cooling the system needs.")
    fabric: str = Field(description="Id of its scale-out network fabric.")
    floor_m2_per_rack: float = Field(2.5, gt=0, description="White-space floor per rack "
                                     "including aisles, m2.")
    power_smoothing_fraction: float | None = Field(
        None, ge=0, le=1, description="Fraction of a training job's step-to-idle power "
        "swing that the rack's own energy storage and power floor absorb within seconds "
        "(NVIDIA GB300 power smoothing; None: 0, no smoothing).")


class Fabric(SourcedRow):
    """A scale-out network fabric."""

    kind: str = Field(description="infiniband | ethernet | ici | other.")
    port_gbit_per_s: float = Field(gt=0, description="Bandwidth of one endpoint port, Gbit/s.")
    latency_us: float = Field(gt=0, description="End-to-end small-message latency, µs.")
    cost_usd_per_port: float = Field(gt=0, description="Cost per endpoint port including "
                                     "its share of switches, optics and cables, USD (used "
                                     "where the fabric names no switch).")
    switch: str | None = Field(None, description="Id of the switch its Clos tiers are built "
                               "from (None: priced per port, no topology).")
    link_usd: float | None = Field(None, gt=0, description="One link: two transceivers "
                                   "and the fibre or cable between them, USD.")
    transceiver_power_w: float | None = Field(None, gt=0, description="Power of one "
                                              "transceiver end, W.")
    rail_optimised: bool | None = Field(None, description="One rail (fat tree) per "
                                        "accelerator position of a system, as NVIDIA's DGX "
                                        "SuperPOD designs (None: yes).")
    oversubscription: float | None = Field(None, ge=1.0, le=8.0, description="Leaf "
                                           "down:up port ratio (None: 1, full bisection).")
    in_network_reduction: bool | None = Field(None, description="Switches reduce in the "
                                              "network (SHARP) (None: no).")


class Switch(SourcedRow):
    """A network switch the fabric tiers are built from."""

    radix: int = Field(ge=4, le=1024, description="Ports at the fabric's port speed.")
    port_gbit_per_s: float = Field(gt=0, description="Bandwidth of one port, Gbit/s.")
    latency_ns: float = Field(gt=0, description="Port-to-port latency of one hop, ns.")
    price_usd: float = Field(gt=0, description="Price of one switch, USD.")
    power_w: float = Field(gt=0, description="Power of one switch without optics, W.")


class Cooling(SourcedRow):
    """A data-hall cooling design with its typical PUE."""

    pue: float = Field(ge=1.0, le=3.0, description="Power usage effectiveness.")


class Facility(SourcedRow):
    """Data-hall construction parameters (shell, power distribution, cooling)."""

    capex_usd_per_mw: float = Field(gt=0, description="Capex per MW of critical IT, USD.")
    build_years: float = Field(gt=0, description="Construction time of a hall, years.")
    land_m2_per_mw: float = Field(gt=0, description="Site land per MW of critical IT, m2.")
    opex_fraction_per_year: float = Field(ge=0, le=0.5, description="Facility maintenance "
                                          "opex per year as a fraction of its capex.")
    hardware_support_fraction_per_year: float = Field(ge=0, le=0.5, description="IT hardware "
                                                      "support and spares per year as a "
                                                      "fraction of hardware capex.")
    average_load_fraction: float = Field(gt=0, le=1, description="Average IT draw over the "
                                         "year as a fraction of all-in IT power.")


class PowerSource(SourcedRow):
    """A power source that can be built or contracted at a site."""

    kind: Literal["grid", "solar", "battery", "gas", "wind", "nuclear"] = Field(
        description="Technology.")
    capex_usd_per_kw: float = Field(ge=0, description="Overnight capex per kW, USD.")
    capex_usd_per_kwh: float = Field(0, ge=0, description="Energy capex (storage), USD/kWh.")
    fixed_opex_usd_per_kw_year: float = Field(ge=0, description="Fixed O&M per kW-year, USD.")
    energy_usd_per_mwh: float | None = Field(None, ge=0, description="Energy or fuel cost, "
                                             "USD/MWh (None: the site's grid price).")
    capacity_factor: float = Field(gt=0, le=1, description="Average output / nameplate.")
    firm: bool = Field(description="True if it can serve load at any hour.")
    lead_time_years: float = Field(ge=0, description="From decision to operation, years.")
    life_years: float = Field(gt=0, description="Economic life, years.")
    emissions_tco2_per_mwh: float | None = Field(
        None, ge=0, le=2, description="CO2 emitted per MWh delivered, t (fuel: heat rate x "
        "53.06 kgCO2/MMBtu; None: the grid's regional factor for grid supply, 0 otherwise).")
    heat_rate_mmbtu_per_mwh: float | None = Field(
        None, gt=0, le=20, description="Fuel burned per MWh delivered, MMBtu (HHV) "
        "(None: no fuel).")
    fuel_usd_per_mmbtu: float | None = Field(None, ge=0, le=100, description="Fuel price, "
                                             "USD/MMBtu (None: no fuel).")
    variable_om_usd_per_mwh: float | None = Field(
        None, ge=0, description="Variable O&M, USD/MWh; energy_usd_per_mwh = fuel x heat "
        "rate + this (None: not stated separately).")
    unit_mw: float | None = Field(None, gt=0, description="Size of one unit (turbine, engine, "
                                  "reactor), MW, for N+1 and the loss when one trips "
                                  "(None: not unit-based, e.g. the grid).")
    forced_outage_rate: float = Field(0.0, ge=0, lt=1, description="Fraction of hours a "
                                      "unit is unavailable from forced outages (grid: its "
                                      "unavailability at the site).")
    supply_mw_per_year: float | None = Field(
        None, gt=0, description="New capacity of this source one programme can obtain per "
        "year, MW (manufacturing slots, contracts; None: no market limit).")
    absorbs_swings: bool = Field(False, description="Can follow a training job's power "
                                 "swing within seconds (batteries; the battery row sets it).")

    def emissions_factor(self, grid_tco2_per_mwh: float | None = None) -> float:
        """tCO2 per MWh: this row's factor, or the region's for a grid row without one."""
        if self.emissions_tco2_per_mwh is not None:
            return self.emissions_tco2_per_mwh
        return float(grid_tco2_per_mwh or 0.0) if self.kind == "grid" else 0.0


class ElectricityPrice(SourcedRow):
    """Industrial electricity price of a region."""

    usd_per_mwh: float = Field(gt=0, description="Average industrial price, USD/MWh.")
    year: int = Field(ge=2000, le=2040, description="Year of the price.")
    emissions_tco2_per_mwh: float | None = Field(
        None, ge=0, le=2, description="Average CO2 of the region's grid electricity, t per "
        "MWh (EPA eGRID subregion or the country's factor; None: not stated).")


class HbmSupplier(SourcedRow):
    """An HBM memory maker."""

    country: str = Field(description="Headquarters country.")


class Site(SourcedRow):
    """A data-centre site, announced or generic."""

    country: str = Field(description="ISO country code.")
    region: str = Field(description="Electricity price region id.")
    land_m2: float = Field(gt=0, description="Land available, m2.")
    power_mw_by_year: dict[int, float] = Field(description="Power that can be delivered to "
                                               "the site (grid + permitted on-site) by year, MW.")
    cooling: str = Field("liquid", description="Cooling id of the halls built there.")
    power_sources: list[str] = Field(min_length=1, description="Power source ids allowed.")
    latitude_deg: float | None = Field(None, ge=-90, le=90, description="Latitude, degrees "
                                       "north (for the solar profile).")
    solar_capacity_factor: float | None = Field(
        None, gt=0, le=0.5, description="Annual AC capacity factor of single-axis tracking "
        "PV at the site (None: the solar source's catalog value).")
    grid_mw_by_year: dict[int, float] | None = Field(
        None, description="Power the utility interconnection delivers by year, MW; the "
        "latest entry at or before a year applies (None: the whole power_mw_by_year).")
    grid_ramp_mw_per_min: float | None = Field(
        None, gt=0, description="Load change the grid tolerates at the site, MW per minute "
        "(None: not limited).")

    @model_validator(mode="after")
    def _power_nonneg(self) -> "Site":
        for name in ("power_mw_by_year", "grid_mw_by_year"):
            for year, mw in (getattr(self, name) or {}).items():
                if mw < 0:
                    raise ValueError(f"{name}[{year}] = {mw} must be >= 0")
        return self

    def power_mw_in(self, year: int) -> float:
        """Power available in a year: the latest entry at or before it (0 before the first)."""
        return _latest(self.power_mw_by_year, year)

    def grid_mw_in(self, year: int) -> float:
        """Grid interconnection in a year (the site's power where no grid split is given)."""
        if self.grid_mw_by_year is None:
            return self.power_mw_in(year)
        return _latest(self.grid_mw_by_year, year)


def _latest(by_year: dict[int, float], year: int) -> float:
    past = [y for y in by_year if y <= year]
    return float(by_year[max(past)]) if past else 0.0


class MoE(StrictNumbers):
    """Mixture-of-experts block of an LLM."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    experts: int = Field(ge=2, description="Routed experts per MoE layer.")
    top_k: int = Field(ge=1, description="Routed experts per token.")
    expert_ffn_hidden: int = Field(ge=1, description="FFN width of one expert.")
    shared_experts: int = Field(0, ge=0, description="Always-active shared experts.")
    dense_layers: int = Field(0, ge=0, description="Leading layers that are dense.")

    @model_validator(mode="after")
    def _k(self) -> "MoE":
        if self.top_k > self.experts:
            raise ValueError(f"top_k ({self.top_k}) must be <= experts ({self.experts})")
        return self


class MLA(StrictNumbers):
    """Multi-head latent attention (DeepSeek-V2/V3): low-rank query and key/value
    projections with a decoupled RoPE key shared by all heads. The KV cache holds the
    ``kv_lora_rank``-wide latent plus the ``qk_rope_head_dim``-wide RoPE key per token and
    layer; each head's query/key is ``qk_nope_head_dim + qk_rope_head_dim`` wide and its
    value ``v_head_dim`` wide."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q_lora_rank: int | None = Field(None, ge=1, le=65536, description="Width of the "
                                    "query latent (query down-projection); None: queries "
                                    "are projected directly from the hidden state.")
    kv_lora_rank: int = Field(ge=1, le=65536, description="Width of the compressed "
                              "key/value latent that the KV cache stores.")
    qk_nope_head_dim: int = Field(ge=1, le=4096, description="Per-head query/key width "
                                  "without rotary position embedding.")
    qk_rope_head_dim: int = Field(ge=0, le=4096, description="Per-head query width with "
                                  "rotary position embedding; the RoPE key of this width "
                                  "is shared by all heads and cached.")
    v_head_dim: int = Field(ge=1, le=4096, description="Per-head value width.")

    @property
    def qk_head_dim(self) -> int:
        """Query/key width of one head (non-RoPE + RoPE part)."""
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    @property
    def cache_dim(self) -> int:
        """Values cached per token and layer: the KV latent plus the shared RoPE key."""
        return self.kv_lora_rank + self.qk_rope_head_dim


class LLMArchitecture(StrictNumbers):
    """A transformer LLM in the model-file format of DESIGN.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layers: int = Field(ge=1, le=1000, description="Transformer layers.")
    hidden: int = Field(ge=1, le=MAX_COUNT, description="Model width (d_model).")
    heads: int = Field(ge=1, le=MAX_COUNT, description="Attention (query) heads.")
    kv_heads: int | None = Field(None, ge=1, description="Key/value heads (GQA when < heads);"
                                 " default: heads.")
    head_dim: int | None = Field(None, ge=1, description="Per-head width; default "
                                 "hidden / heads.")
    ffn_hidden: int | None = Field(None, ge=1, le=MAX_COUNT, description="Dense FFN width; "
                                   "default 4*hidden.")
    vocab: int = Field(ge=1, le=MAX_COUNT, description="Vocabulary size.")
    seq_len: int = Field(ge=1, le=MAX_BATCH_TOKENS, description="Training sequence length, "
                         "tokens.")
    activation: Literal["gelu", "swiglu"] = Field("gelu", description="FFN activation.")
    tied_embeddings: bool = Field(False, description="Input and output embeddings shared.")
    moe: MoE | None = Field(None, description="Mixture-of-experts block, if any.")
    mla: MLA | None = Field(None, description="Multi-head latent attention block, if any "
                            "(then attention parameters, FLOPs and the KV cache follow "
                            "it; heads counts its query heads).")

    @model_validator(mode="after")
    def _shapes(self) -> "LLMArchitecture":
        kv = self.kv_heads or self.heads
        if self.heads % kv:
            raise ValueError(f"heads ({self.heads}) must be a multiple of kv_heads ({kv})")
        if self.head_dim is None and self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by heads "
                             f"({self.heads}) unless head_dim is given")
        if self.moe and self.moe.dense_layers > self.layers:
            raise ValueError("moe.dense_layers must be <= layers")
        if self.mla and kv != self.heads:
            raise ValueError(f"kv_heads ({kv}) must equal heads ({self.heads}) with mla: "
                             "every head gets its own key and value from the latent")
        return self

    @property
    def n_kv_heads(self) -> int:
        return self.kv_heads or self.heads

    @property
    def d_head(self) -> int:
        return self.head_dim or self.hidden // self.heads

    @property
    def d_ffn(self) -> int:
        return self.ffn_hidden or 4 * self.hidden


class ModelFile(LLMArchitecture):
    """A user's model file: the architecture plus a name."""

    name: str = Field(description="Model name.")


class LLM(SourcedRow, LLMArchitecture):
    """A catalog LLM: architecture with the source that states it."""


class Demand(SourcedRow):
    """An inference demand preset (a service's load)."""

    model: str = Field(description="LLM id serving the demand.")
    tokens_per_day: float = Field(gt=0, description="Output tokens per day.")
    prompt_tokens: int = Field(ge=1, description="Mean prompt length, tokens.")
    output_tokens: int = Field(ge=1, description="Mean output length, tokens.")
    ttft_slo_s: float = Field(gt=0, description="Time-to-first-token SLO, s.")
    tpot_slo_s: float = Field(gt=0, description="Time-per-output-token SLO, s.")
    peak_to_mean: float = Field(1.0, ge=1, description="Peak load over mean load.")
