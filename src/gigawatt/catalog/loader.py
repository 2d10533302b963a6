"""Load the catalog: YAML tables -> validated rows, cross-references checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import pydantic

from ..errors import UnknownIdError, ValidationError
from ..validation import validation_error
from ..yamlio import YamlDoc, read_yaml
from .base import Source, SourcedRow
from .schema import (
    LLM, Accelerator, Cooling, Demand, ElectricityPrice, Fabric, Facility, HbmSupplier,
    PowerSource, Site, Switch, System,
)

DATA_DIR = Path(__file__).parent / "data"

#: table name -> row type; a catalog file holds one or more tables as top-level keys.
TABLES: dict[str, type[SourcedRow]] = {
    "accelerators": Accelerator,
    "systems": System,
    "fabrics": Fabric,
    "switches": Switch,
    "coolings": Cooling,
    "facilities": Facility,
    "power_sources": PowerSource,
    "electricity_prices": ElectricityPrice,
    "hbm_suppliers": HbmSupplier,
    "sites": Site,
    "models": LLM,
    "demands": Demand,
}
#: singular names used in messages and on the command line.
KIND = {"accelerators": "accelerator", "systems": "system", "fabrics": "fabric",
        "switches": "switch",
        "coolings": "cooling", "facilities": "facility", "power_sources": "power source",
        "electricity_prices": "electricity region", "hbm_suppliers": "HBM supplier",
        "sites": "site", "models": "model", "demands": "demand"}

T = TypeVar("T", bound=SourcedRow)


@dataclass(frozen=True)
class Catalog:
    """All catalog tables, each a dict id -> row, plus the sources they cite."""

    tables: dict[str, dict[str, SourcedRow]]
    sources: dict[str, Source]
    origin: dict[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict)

    def table(self, name: str) -> dict[str, SourcedRow]:
        """One table by name (``accelerators``, ``models`` …)."""
        if name not in self.tables:
            raise UnknownIdError("catalog table", name, self.tables)
        return self.tables[name]

    def get(self, table: str, key: str) -> Any:
        """A row by table and id; unknown ids suggest the nearest known ones."""
        rows = self.table(table)
        if key not in rows:
            raise UnknownIdError(KIND.get(table, table), key, rows)
        return rows[key]

    def accelerator(self, key: str) -> Accelerator:
        return self.get("accelerators", key)

    def system(self, key: str) -> System:
        return self.get("systems", key)

    def model(self, key: str) -> LLM:
        return self.get("models", key)

    def site(self, key: str) -> Site:
        return self.get("sites", key)

    @property
    def accelerators(self) -> dict[str, Accelerator]:
        return self.tables["accelerators"]  # type: ignore[return-value]

    def cite(self, row: SourcedRow, fact: str) -> dict[str, Any]:
        """The source document of one fact, JSON-safe."""
        prov = row.source_of(fact)
        src = self.sources[prov.source]
        return {"source": src.title, "url": src.url, "date": src.date,
                "estimate": prov.estimate, **({"note": prov.note} if prov.note else {})}

    def to_frame(self, table: str):  # -> pandas.DataFrame
        """A table as a DataFrame, one row per entry, without provenance columns;
        ``attrs["unit"]`` gives each column's unit (from its name)."""
        import pandas as pd

        from ..numfmt import with_units

        rows = [r.facts() for r in self.table(table).values()]
        return with_units(pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame())


def _rows(doc: YamlDoc, table: str, cls: type[T], sources: dict[str, Source],
          out: dict[str, SourcedRow], origin: dict) -> None:
    items = doc.data[table]
    if not isinstance(items, list):
        raise ValidationError("must be a list of rows", file=doc.file,
                              line=doc.line_of([table]), field=table)
    for i, item in enumerate(items):
        try:
            row = cls.model_validate(item)
        except pydantic.ValidationError as exc:
            raise validation_error(exc, doc, prefix=[table, i]) from None
        if row.id in out:
            raise ValidationError(f"duplicate id '{row.id}'", file=doc.file,
                                  line=doc.line_of([table, i, "id"]), field=f"{table}[{i}].id")
        out[row.id] = row
        origin[(table, row.id)] = (doc.file, doc.line_of([table, i]))


def _check_refs(cat: Catalog) -> None:
    """Every id a row mentions must exist."""
    refs: list[tuple[str, str, str, list[str]]] = []  # (table, id, field, [(target table)])
    for a in cat.tables["accelerators"].values():
        refs.append(("accelerators", a.id, "system", ["systems", a.system]))
        for s in a.hbm_suppliers:
            refs.append(("accelerators", a.id, "hbm_suppliers", ["hbm_suppliers", s]))
    for s in cat.tables["systems"].values():
        refs.append(("systems", s.id, "accelerator", ["accelerators", s.accelerator]))
        refs.append(("systems", s.id, "fabric", ["fabrics", s.fabric]))
        refs.append(("systems", s.id, "cooling", ["coolings", s.cooling]))
    for f in cat.tables["fabrics"].values():
        if f.switch is not None:
            refs.append(("fabrics", f.id, "switch", ["switches", f.switch]))
    for s in cat.tables["sites"].values():
        refs.append(("sites", s.id, "region", ["electricity_prices", s.region]))
        refs.append(("sites", s.id, "cooling", ["coolings", s.cooling]))
        for p in s.power_sources:
            refs.append(("sites", s.id, "power_sources", ["power_sources", p]))
    for d in cat.tables["demands"].values():
        refs.append(("demands", d.id, "model", ["models", d.model]))
    for table, key, fld, (target, value) in refs:
        if value not in cat.tables[target]:
            file, line = cat.origin.get((table, key), (None, None))
            raise UnknownIdError(KIND[target], value, cat.tables[target], file=file,
                                 line=line, field=f"{table}.{key}.{fld}")
    for table, rows in cat.tables.items():
        for row in rows.values():
            for fact, prov in [("source", row.source_of("id"))] + list(row.provenance.items()):
                if prov.source not in cat.sources:
                    file, line = cat.origin.get((table, row.id), (None, None))
                    raise UnknownIdError("source", prov.source, cat.sources, file=file,
                                         line=line, field=f"{table}.{row.id}.{fact}")


def load_catalog_from(paths: list[Path]) -> Catalog:
    """Load catalog tables from YAML files (each may hold ``sources`` and any tables)."""
    tables: dict[str, dict[str, SourcedRow]] = {t: {} for t in TABLES}
    sources: dict[str, Source] = {}
    origin: dict[tuple[str, str], tuple[str, int | None]] = {}
    for path in sorted(paths):
        doc = read_yaml(path)
        if not isinstance(doc.data, dict):
            raise ValidationError("a catalog file is a mapping of table name -> list of rows",
                                  file=doc.file, line=1)
        for key in doc.data:
            if key == "sources":
                for i, item in enumerate(doc.data["sources"] or []):
                    try:
                        src = Source.model_validate(item)
                    except pydantic.ValidationError as exc:
                        raise validation_error(exc, doc, prefix=["sources", i]) from None
                    sources[src.id] = src
            elif key in TABLES:
                _rows(doc, key, TABLES[key], sources, tables[key], origin)
            else:
                raise UnknownIdError("catalog table", str(key), list(TABLES) + ["sources"],
                                     file=doc.file, line=doc.line_of([key]))
    cat = Catalog(tables=tables, sources=sources, origin=origin)
    _check_refs(cat)
    return cat


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The built-in catalog shipped with gigawatt (cached)."""
    return load_catalog_from(list(DATA_DIR.glob("*.yaml")))
