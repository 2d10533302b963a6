"""The ``financing:`` block of a scenario: who pays, when, at what cost, and what the
capacity earns (the inputs of :mod:`gigawatt.finance`).

Money is in nominal USD of the year it moves; rates are per year. Every funding source
and price names a ``source`` (a scenario or catalog source id) and says ``estimate: true``
where it is one. Cross-checks that need the whole scenario (partner ids, years inside the
horizon, loans that outlive it, sources that must sum to a commitment) are in
:func:`check_financing`, which names file, line and field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import UnknownIdError, ValidationError
from .yamlio import YamlDoc, path_key

#: asset classes of the planner's capex (plan.accounting.cost_by_year columns); network
#: capex is part of ``accelerators`` (the catalog prices systems with their scale-out ports)
ASSET_CLASSES = ("accelerators", "halls", "power")
#: tolerance of "sources sum to the commitment"
SUM_TOLERANCE = 0.01


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Strict):
    source: str | None = Field(None, description="Source id stating this figure.")
    estimate: bool = Field(False, description="True where the figure is an estimate.")


class Partner(_Sourced):
    """An equity partner of the programme."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$", description="Partner id.")
    name: str = Field(description="Name.")
    stake: float | None = Field(None, gt=0, le=1, description="Ownership share (0-1].")


class Equity(_Sourced):
    """Equity a partner puts in, in a year, USD."""

    partner: str = Field(description="Partner id (one of financing.partners).")
    year: int = Field(ge=2015, le=2060, description="Year the money comes in.")
    amount_usd: float = Field(gt=0, description="Amount, USD (> 0).")


class Loan(_Sourced):
    """A loan (bank debt, bond or vendor financing): drawn in one year, repaid over its
    tenor from the next year on."""

    id: str = Field(description="Loan id.")
    lender: str = Field(description="Who lends (free text).")
    year: int = Field(ge=2015, le=2060, description="Year the loan is drawn.")
    amount_usd: float = Field(gt=0, description="Principal, USD (> 0).")
    rate: float = Field(ge=0, le=0.5, description="Interest rate per year (0-0.5).")
    tenor_years: int = Field(ge=1, le=40, description="Years from drawing to maturity.")
    amortisation: Literal["annuity", "linear", "bullet"] = Field(
        "annuity", description="annuity: level payments; linear: equal principal; bullet: "
        "interest only, principal at maturity.")
    grace_years: int = Field(0, ge=0, le=10, description="Interest-only years before "
                             "amortisation starts.")
    balloon_year: int | None = Field(None, ge=2015, le=2060, description="Year the "
                                     "outstanding principal is repaid in one payment "
                                     "(refinancing or sale); required when the loan would "
                                     "mature after the horizon.")

    @model_validator(mode="after")
    def _grace(self) -> "Loan":
        if self.grace_years >= self.tenor_years:
            raise ValueError(f"grace_years ({self.grace_years}) must be < tenor_years "
                             f"({self.tenor_years})")
        if self.balloon_year is not None and self.balloon_year <= self.year:
            raise ValueError(f"balloon_year ({self.balloon_year}) must be after the year "
                             f"the loan is drawn ({self.year})")
        return self

    @property
    def maturity_year(self) -> int:
        return self.year + self.tenor_years


class Lease(_Sourced):
    """A lessor builds (part of) one asset class and the programme pays rent instead: the
    lessor's capex leaves the programme's uses of funds and becomes a level rent (an
    annuity at ``rate`` over ``term_years``) from the year each asset is built."""

    id: str = Field(description="Lease id.")
    lessor: str = Field(description="Who owns the asset (free text).")
    asset_class: Literal[ASSET_CLASSES] = Field(  # type: ignore[valid-type]
        description="Which capex: " + ", ".join(ASSET_CLASSES) + ".")
    site: str | None = Field(None, description="Only this site's capex of the class "
                             "(halls and accelerators; None: every site).")
    share: float = Field(1.0, gt=0, le=1, description="Share of that capex the lessor "
                         "pays (0-1].")
    from_year: int = Field(ge=2015, le=2060, description="First build year covered.")
    to_year: int | None = Field(None, ge=2015, le=2060, description="Last build year "
                                "covered (None: the programme's end).")
    term_years: int = Field(ge=1, le=40, description="Lease term, years.")
    rate: float = Field(ge=0, le=0.5, description="Rate implicit in the rent, per year.")


class TokenPrice(_Sourced):
    """Inference revenue: served output tokens times a price that declines each year."""

    usd_per_million_tokens: float = Field(gt=0, description="Price per million output "
                                          "tokens in price_year, USD.")
    price_year: int = Field(ge=2015, le=2060, description="Year of that price.")
    decline_per_year: float = Field(0.0, ge=0, lt=1, description="Yearly fall of the "
                                    "price (0.3 = -30%/year).")


class GpuHourPrice(_Sourced):
    """Capacity sold by the GPU-hour (the accelerators not serving the scenario's own
    inference), at a price that declines each year."""

    usd_per_gpu_hour: float = Field(gt=0, description="Price per accelerator-hour in "
                                    "price_year, USD.")
    price_year: int = Field(ge=2015, le=2060, description="Year of that price.")
    decline_per_year: float = Field(0.0, ge=0, lt=1, description="Yearly fall of the "
                                    "price.")
    sold_share: float = Field(1.0, ge=0, le=1, description="Share of the non-inference "
                              "accelerator-hours sold (the rest is the owners' own "
                              "training, valued at nothing).")
    utilisation: float = Field(0.9, gt=0, le=1, description="Share of sold hours "
                               "actually billed.")


class Revenue(_Strict):
    """What the capacity earns."""

    tokens: TokenPrice | None = Field(None, description="Price of served output tokens.")
    gpu_hours: GpuHourPrice | None = Field(None, description="Price of capacity sold by "
                                           "the GPU-hour.")


class Lives(_Sourced):
    """Depreciation lives by asset class, years (accelerators: the scenario's
    hardware_life_years unless given)."""

    accelerators: float | None = Field(None, gt=0, le=15, description="Accelerators, "
                                       "systems and network, years.")
    halls: float = Field(20, gt=0, le=50, description="Data halls (shell, power "
                         "distribution, cooling), years.")
    power: float = Field(25, gt=0, le=60, description="Power plants and batteries, years.")


class Financing(_Strict):
    """Funding sources, cost of capital, tax and prices of a programme."""

    cost_of_capital: float = Field(ge=0, le=0.5, description="Nominal cost of capital per "
                                   "year: discounts the cash flow (NPV) and charges "
                                   "capital in the cost per GPU-hour.")
    cost_of_capital_source: str | None = Field(None, description="Source id.")
    tax_rate: float = Field(0.0, ge=0, lt=1, description="Tax on positive taxable "
                            "income (revenue - opex - rent - depreciation - interest).")
    tax_source: str | None = Field(None, description="Source id of the tax rate.")
    horizon_end_year: int | None = Field(None, ge=2015, le=2080, description="Last year "
                                         "of the cash flow (default: the programme's end "
                                         "plus the accelerator life less one, the last "
                                         "year of the last hardware installed).")
    terminal_value: Literal["book", "none"] = Field(
        "book", description="book: the undepreciated book value of owned assets comes "
        "back in the last year; none: nothing does.")
    depreciation_years: Lives = Field(default_factory=Lives, description="Depreciation "
                                      "lives by asset class.")
    committed_usd: float | None = Field(None, gt=0, description="Total the programme's "
                                        "announcement commits; equity + debt + vendor "
                                        "financing must sum to it (within 1%).")
    committed_source: str | None = Field(None, description="Source id of the commitment.")
    partners: list[Partner] = Field(default_factory=list, description="Equity partners.")
    equity: list[Equity] = Field(default_factory=list, description="Equity by partner "
                                 "and year.")
    debt: list[Loan] = Field(default_factory=list, description="Bank debt and bonds.")
    vendor_financing: list[Loan] = Field(default_factory=list, description="Loans from "
                                         "suppliers (chip vendors' financing).")
    leases: list[Lease] = Field(default_factory=list, description="Assets a lessor builds "
                                "and the programme rents.")
    revenue: Revenue = Field(default_factory=Revenue, description="Prices of what the "
                             "capacity earns.")

    @property
    def loans(self) -> list[tuple[str, Loan]]:
        """(kind, loan) for debt then vendor financing."""
        return [("debt", x) for x in self.debt] + [("vendor", x) for x in self.vendor_financing]

    def funding_usd(self) -> float:
        """Equity + debt + vendor financing, USD."""
        return (sum(e.amount_usd for e in self.equity)
                + sum(x.amount_usd for _, x in self.loans))


def horizon_end(fin: Financing, end_year: int, life_years: float) -> int:
    """Last year of the cash flow (see :attr:`Financing.horizon_end_year`)."""
    if fin.horizon_end_year is not None:
        return fin.horizon_end_year
    return end_year + max(1, int(round(life_years))) - 1


def check_financing(fin: Financing, *, start_year: int, end_year: int, life_years: float,
                    site_ids: set[str], source_ids: set[str], doc: YamlDoc | None = None,
                    prefix: list[Any] | None = None) -> None:
    """Cross-checks of a financing block against its scenario.

    Raises
    ------
    UnknownIdError
        An equity row names a partner not listed; a lease names a site not in the
        scenario; a source id is unknown.
    ValidationError
        A year outside the programme; a horizon before the programme's end; a loan that
        matures after the horizon without a balloon_year (or with one after the horizon);
        stakes summing above 1; duplicate ids; sources that do not sum to committed_usd.
    """
    base = list(prefix or ["financing"])
    file = doc.file if doc else None

    def where(loc: list[Any]) -> dict[str, Any]:
        full = base + loc
        return {"file": file, "line": doc.line_of(full) if doc else None,
                "field": path_key(full)}

    horizon = horizon_end(fin, end_year, life_years)
    if horizon < end_year:
        raise ValidationError(f"horizon_end_year {horizon} is before the programme's "
                              f"end_year {end_year}; allowed: >= {end_year}",
                              **where(["horizon_end_year"]))
    partners = {}
    for i, p in enumerate(fin.partners):
        if p.id in partners:
            raise ValidationError(f"partner id '{p.id}' appears twice; ids must be unique",
                                  **where(["partners", i, "id"]))
        partners[p.id] = p
    stakes = sum(p.stake or 0.0 for p in fin.partners)
    if stakes > 1 + 1e-9:
        raise ValidationError(f"partner stakes sum to {stakes:.4g}; allowed: <= 1",
                              **where(["partners"]))
    for i, e in enumerate(fin.equity):
        if e.partner not in partners:
            raise UnknownIdError("partner", e.partner, partners, **where(["equity", i,
                                                                          "partner"]))
        _year_in(e.year, start_year, horizon, where(["equity", i, "year"]))
    seen: set[str] = set()
    for part, loans in (("debt", fin.debt), ("vendor_financing", fin.vendor_financing)):
        for i, loan in enumerate(loans):
            if loan.id in seen:
                raise ValidationError(f"loan id '{loan.id}' appears twice; ids must be "
                                      "unique", **where([part, i, "id"]))
            seen.add(loan.id)
            _year_in(loan.year, start_year, horizon, where([part, i, "year"]))
            _check_maturity(loan, horizon, where([part, i]))
    for i, lease in enumerate(fin.leases):
        if lease.site is not None and lease.site not in site_ids:
            raise UnknownIdError("site", lease.site, site_ids, **where(["leases", i, "site"]))
        if lease.site is not None and lease.asset_class == "power":
            raise ValidationError("a lease of power plants covers every site (the plan "
                                  "does not split power capex by site); drop 'site'",
                                  **where(["leases", i, "site"]))
        last = lease.to_year if lease.to_year is not None else end_year
        if last < lease.from_year:
            raise ValidationError(f"to_year ({last}) is before from_year "
                                  f"({lease.from_year})", **where(["leases", i, "to_year"]))
        _year_in(lease.from_year, start_year, end_year, where(["leases", i, "from_year"]))
    _check_sum(fin, where(["committed_usd"]))
    _check_sources(fin, source_ids, where)


def _year_in(year: int, lo: int, hi: int, at: dict[str, Any]) -> None:
    if not lo <= year <= hi:
        raise ValidationError(f"year {year} lies outside the cash-flow years {lo}..{hi}; "
                              f"allowed: {lo}..{hi}", **at)


def _check_maturity(loan: Loan, horizon: int, at: dict[str, Any]) -> None:
    if loan.balloon_year is not None:
        if loan.balloon_year > horizon:
            raise ValidationError(f"balloon_year {loan.balloon_year} is after the horizon "
                                  f"({horizon}); allowed: {loan.year + 1}..{horizon}", **at)
        return
    if loan.maturity_year > horizon:
        raise ValidationError(
            f"loan '{loan.id}' ({loan.year}, {loan.tenor_years} years) matures in "
            f"{loan.maturity_year}, after the cash-flow horizon {horizon}; set balloon_year "
            f"<= {horizon}, shorten tenor_years to <= {horizon - loan.year}, or extend "
            "financing.horizon_end_year", **at)


def _check_sum(fin: Financing, at: dict[str, Any]) -> None:
    if fin.committed_usd is None:
        return
    total = fin.funding_usd()
    if abs(total - fin.committed_usd) > SUM_TOLERANCE * fin.committed_usd:
        raise ValidationError(
            f"equity + debt + vendor financing sum to {total:,.4g} USD, but committed_usd "
            f"is {fin.committed_usd:,.4g} USD ({total / fin.committed_usd - 1:+.1%}); the "
            f"sources must sum to the commitment within {SUM_TOLERANCE:.0%}", **at)


def _check_sources(fin: Financing, known: set[str], where: Any) -> None:
    cited: list[tuple[list[Any], str | None]] = [
        (["cost_of_capital_source"], fin.cost_of_capital_source),
        (["tax_source"], fin.tax_source), (["committed_source"], fin.committed_source),
        (["depreciation_years", "source"], fin.depreciation_years.source)]
    for part in ("partners", "equity", "debt", "vendor_financing", "leases"):
        cited += [([part, i, "source"], x.source) for i, x in enumerate(getattr(fin, part))]
    for name in ("tokens", "gpu_hours"):
        price = getattr(fin.revenue, name)
        if price is not None:
            cited.append((["revenue", name, "source"], price.source))
    for loc, sid in cited:
        if sid is not None and sid not in known:
            raise UnknownIdError("source", sid, known, **where(loc))


__all__ = ["ASSET_CLASSES", "Financing", "Partner", "Equity", "Loan", "Lease", "Revenue",
           "TokenPrice", "GpuHourPrice", "Lives", "check_financing", "horizon_end"]
