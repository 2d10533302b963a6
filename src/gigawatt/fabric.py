"""The scale-out network as a topology: a folded-Clos (fat-tree) fabric sized for a
number of accelerators from the catalog's switches, and what a collective pays to cross
it.

Sizing (per rail when the fabric is rail-optimised, one rail per accelerator position of
a system, at most 8, as in NVIDIA's DGX SuperPOD designs): with switches of radix ``k``
a non-blocking folded Clos of ``L`` tiers connects up to ``k (k/2)^(L-1)`` endpoints
(64-port switches: 64, 2,048, 65,536, 2,097,152); tiers below the top have ``ceil(n /
(k/2))`` switches (half their ports down, half up), the top tier ``ceil(n / k)`` (all
ports down). Each tier adds one layer of ``n`` links (two transceivers each). A leaf
oversubscription ``o`` gives the leaves ``k o / (1 + o)`` down-ports and divides the
traffic, links and switches above them by ``o``. Two endpoints whose lowest common tier
is ``t`` are ``2 t - 1`` switch hops apart.

Everything is numpy-vectorised over arrays of group sizes so the plan search keeps its
speed; :func:`size_fabric` builds the bill of materials of one fabric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: largest fabric sized (tiers), far above any cluster in the catalog
MAX_TIERS = 6
#: rails of a rail-optimised fabric: one per NIC position of an 8-GPU HGX node (DGX
#: SuperPOD); rack-scale systems (NVL72) are cabled with at most as many
MAX_RAILS = 8


@dataclass(frozen=True)
class FabricSpec:
    """The switch and link facts a topology is built from (catalog values, SI units)."""

    fabric: str
    switch: str | None
    radix: int
    port_gbit_per_s: float
    hop_latency_s: float
    switch_usd: float
    switch_power_w: float
    link_usd: float
    transceiver_power_w: float
    rails: int
    oversubscription: float = 1.0
    in_network_reduction: bool = False
    ports_per_accelerator: float = 1.0
    flat_cost_usd_per_port: float | None = None

    @property
    def leaf_down(self) -> float:
        """Endpoint ports of one leaf switch."""
        o = self.oversubscription
        return self.radix * o / (1.0 + o)

    def tiers(self, endpoints_per_rail: Any) -> np.ndarray:
        """Switch tiers needed for ``endpoints_per_rail`` endpoints (vectorised)."""
        n = np.maximum(np.asarray(endpoints_per_rail, dtype=float), 1.0)
        half = self.radix / 2.0
        # endpoints under one tier-t subtree: leaf_down * half^(t-1); the top tier of an
        # L-tier fabric doubles that (all its ports face down)
        need = np.log(np.maximum(n / (2.0 * self.leaf_down), 1.0)) / math.log(half)
        return np.clip(np.ceil(need - 1e-9) + 1, 1, MAX_TIERS).astype(int)

    def hops(self, domains: Any) -> np.ndarray:
        """Switch hops between the farthest members of a group spanning ``domains``
        scale-up domains (one endpoint per rail each): ``2 t - 1``, ``t`` the lowest tier
        whose subtree covers them; 0 inside one domain."""
        m = np.asarray(domains, dtype=float)
        half = self.radix / 2.0
        t = np.ceil(np.log(np.maximum(m / self.leaf_down, 1.0)) / math.log(half) - 1e-9) + 1
        return np.where(m <= 1, 0.0, 2.0 * t - 1.0)


def fabric_spec(catalog: Any, accelerator: Any) -> FabricSpec | None:
    """The :class:`FabricSpec` of an accelerator's reference system, or None when its
    fabric names no switch (priced per port, no topology)."""
    acc = catalog.accelerator(accelerator) if isinstance(accelerator, str) else accelerator
    if acc.system not in catalog.table("systems"):
        return None
    system = catalog.system(acc.system)
    fab = catalog.get("fabrics", system.fabric)
    if fab.switch is None or fab.link_usd is None:
        return None
    sw = catalog.get("switches", fab.switch)
    return FabricSpec(
        fabric=fab.id, switch=sw.id, radix=sw.radix, port_gbit_per_s=sw.port_gbit_per_s,
        hop_latency_s=sw.latency_ns * 1e-9, switch_usd=sw.price_usd,
        switch_power_w=sw.power_w, link_usd=fab.link_usd,
        transceiver_power_w=fab.transceiver_power_w or 0.0,
        rails=min(system.accelerators, MAX_RAILS) if fab.rail_optimised in (None, True)
        else 1,
        oversubscription=fab.oversubscription or 1.0,
        in_network_reduction=bool(fab.in_network_reduction),
        ports_per_accelerator=max(1.0, acc.scaleout_gbit_per_s / sw.port_gbit_per_s),
        flat_cost_usd_per_port=fab.cost_usd_per_port)


@dataclass(frozen=True)
class FabricTopology:
    """The bill of materials of one fabric (counts, USD, MW) and its depth."""

    fabric: str
    switch: str
    accelerators: int
    endpoints: int
    rails: int
    tiers: int
    switches_per_tier: list[int]
    links_per_tier: list[int]
    switches: int
    transceivers: int
    cables: int
    capex_usd: dict[str, float]
    power_mw: float
    max_hops: int
    max_latency_us: float
    oversubscription: float
    basis: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (the ``network`` block of ``train`` and ``size``)."""
        return {"fabric": self.fabric, "switch": self.switch,
                "accelerators": self.accelerators, "endpoints": self.endpoints,
                "rails": self.rails, "tiers": self.tiers,
                "switches_per_tier": list(self.switches_per_tier),
                "links_per_tier": list(self.links_per_tier), "switches": self.switches,
                "transceivers": self.transceivers, "cables": self.cables,
                "capex_usd": dict(self.capex_usd), "power_mw": self.power_mw,
                "max_hops": self.max_hops, "max_latency_us": self.max_latency_us,
                "oversubscription": self.oversubscription, "basis": dict(self.basis)}


def size_fabric(spec: FabricSpec, accelerators: int) -> FabricTopology:
    """Size the fabric connecting ``accelerators`` accelerators."""
    endpoints = int(math.ceil(accelerators * spec.ports_per_accelerator))
    rails = max(1, min(spec.rails, endpoints))
    n = math.ceil(endpoints / rails)
    tiers = int(spec.tiers(n))
    half, o = spec.radix / 2.0, spec.oversubscription
    per_rail: list[int] = []
    links: list[int] = [n]                                  # endpoint -> leaf
    if tiers == 1:
        per_rail.append(math.ceil(n / spec.radix))
    else:
        per_rail.append(math.ceil(n / spec.leaf_down))
        up = n / o                                         # traffic above the leaves
        for t in range(2, tiers + 1):
            per_rail.append(math.ceil(up / (spec.radix if t == tiers else half)))
            links.append(math.ceil(up))
    switches_per_tier = [rails * s for s in per_rail]
    links_per_tier = [rails * x for x in links]
    n_links = sum(links_per_tier)
    switches = sum(switches_per_tier)
    capex = {"switches": switches * spec.switch_usd, "optics_and_cables": n_links
             * spec.link_usd}
    capex["total"] = capex["switches"] + capex["optics_and_cables"]
    power_w = switches * spec.switch_power_w + 2 * n_links * spec.transceiver_power_w
    hops = 2 * tiers - 1
    return FabricTopology(
        fabric=spec.fabric, switch=spec.switch or "", accelerators=int(accelerators),
        endpoints=endpoints, rails=rails, tiers=tiers, switches_per_tier=switches_per_tier,
        links_per_tier=links_per_tier, switches=switches, transceivers=2 * n_links,
        cables=n_links, capex_usd=capex, power_mw=power_w / 1e6, max_hops=hops,
        max_latency_us=hops * spec.hop_latency_s * 1e6, oversubscription=o,
        basis={"radix": spec.radix, "switch_usd": spec.switch_usd,
               "link_usd": spec.link_usd, "switch_power_w": spec.switch_power_w,
               "transceiver_power_w": spec.transceiver_power_w,
               "topology": ("rail-optimised " if rails > 1 else "") + f"{tiers}-tier "
               "folded Clos (fat tree)", "note": "switch and transceiver power is part of "
               "the accelerators' all-in power, not added to it"})
