"""`gigawatt scenario list|show|validate|schema`."""

from __future__ import annotations

import typer

from . import app
from ..numfmt import field, money, number
from .output import console, emit_json, table

scenario_app = typer.Typer(help="Built-in and user scenarios: show, validate, schema.",
                           no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("list")
def list_(json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """List the built-in scenarios."""
    from ..scenario import builtin_scenarios, load_scenario

    rows = []
    for sid in builtin_scenarios():
        sc = load_scenario(sid)
        rows.append({"id": sc.id, "name": sc.name, "years": f"{sc.start_year}-{sc.end_year}",
                     "phases": len(sc.phases), "budget_usd": sc.budget_usd})
    if json:
        emit_json({"scenarios": rows})
        return
    console().print(table("built-in scenarios", ["id", "name", "years", "phases", "budget_usd"],
                          [list(r.values()) for r in rows]))
    console().print("details: gigawatt scenario show ID")


def scenario_copy_text(ref: str, scenario_id: str) -> str:
    """The YAML of a scenario to start editing from. A built-in's copy gets the id
    ``<id>-copy`` (with a comment saying so), so a copy planned or compared beside the
    original never shares its id; a user's own file is printed unchanged."""
    import re

    from ..scenario import SCENARIO_DIR, scenario_path

    path = scenario_path(ref)
    text = path.read_text(encoding="utf-8")
    if path.parent.resolve() != SCENARIO_DIR.resolve():
        return text
    new_id = f"{scenario_id}-copy"
    return re.sub(rf"^id:\s*{re.escape(scenario_id)}\s*$",
                  f"id: {new_id}  # a copy of the built-in '{scenario_id}': give it an id "
                  "of your own", text, count=1, flags=re.M)


@scenario_app.command("show")
def show(
    ref: str = typer.Argument(..., metavar="ID|PATH", help="Built-in id or YAML file."),
    yaml: bool = typer.Option(False, "--yaml", help="Print the scenario file (a starting "
                              "point to edit; a built-in's copy has the id <id>-copy)."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show a scenario: phases, sites, accelerators, workloads, uncertainties."""
    from ..scenario import load_scenario, scenario_path

    sc = load_scenario(ref)
    if yaml:
        print(scenario_copy_text(ref, sc.id), end="")
        return
    if json:
        emit_json(sc.model_dump(mode="json"))
        return
    out = console()
    out.print(f"[bold]{sc.name}[/bold] ({sc.id}), {sc.start_year}-{sc.end_year}, objective "
              f"{sc.objective}, budget {money(sc.budget_usd)}")
    if sc.description:
        out.print(sc.description.strip())
    out.print(table("phases", ["id", "years", "budget_usd"],
                    [[p.id, f"{p.start_year}-{p.end_year}", p.budget_usd] for p in sc.phases]))
    out.print(table("sites", ["site", "site power by year (override)", "PUE"],
                    [[s.site, _by_year(s.power_mw_by_year, "power_mw") or "catalog",
                      s.pue or "catalog"] for s in sc.sites]))
    out.print(table("accelerators", ["accelerator", "from", "to", "supply caps by year"],
                    [[a.accelerator, a.available_from, a.available_to or "open",
                      _by_year(a.supply_cap_by_year, "accelerators") or "none"]
                     for a in sc.accelerators], fields=["", "year", "year", ""]))
    wl = sc.workloads
    if wl.training or wl.inference:
        out.print(table("workloads", ["id", "kind", "what", "when"],
                        [[w.id, "training", f"{w.model}, {number(w.tokens)} tokens",
                          f"by {w.deadline_year}"] for w in wl.training] +
                        [[w.id, "inference", f"{w.demand} x{w.scale}", f"from {w.from_year}"]
                         for w in wl.inference]))
    if sc.uncertainties:
        out.print(table("uncertainties", ["id", "kind", "of", "distribution"],
                        [[u.id, u.kind, u.of or "", u.distribution] for u in sc.uncertainties]))


def _by_year(values: dict | None, name: str) -> str:
    """``{2025: 200.0, 2026: 1200.0}`` as ``2025: 200 MW, 2026: 1.2 GW``."""
    return ", ".join(f"{y}: {field(name, v)}" for y, v in (values or {}).items())


@scenario_app.command("validate")
def validate(
    paths: list[str] = typer.Argument(..., metavar="PATH...", help="Scenario files or ids."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Validate scenario files against the schema and the catalog (exit 2 on the first error)."""
    from ..scenario import load_scenario

    done = []
    for p in paths:
        sc = load_scenario(p)
        done.append({"file": p, "id": sc.id, "valid": True})
    if json:
        emit_json({"validated": done})
    else:
        for d in done:
            print(f"{d['file']}: valid ({d['id']})")


@scenario_app.command("schema")
def schema(json: bool = typer.Option(False, "--json", help="Print one JSON document (the "
                                     "schema is JSON either way).")) -> None:
    """Print the scenario JSON Schema (for editor completion)."""
    from ..scenario import scenario_schema

    emit_json(scenario_schema())
