"""Sourced catalog rows: every fact carries where it came from.

In a catalog file a fact is written either bare (it inherits the row's ``source``) or as
``{value: 30000, source: some-source-id, estimate: true}``. The row's model keeps plain
values (``acc.price_usd == 30000``) and records each fact's provenance beside them
(``acc.source_of("price_usd")``), as PyPSA keeps units beside its attribute tables.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..limits import StrictNumbers

_NOT_FACTS = {"id", "name", "source", "provenance", "notes", "description"}


class Source(BaseModel):
    """A document that states facts: datasheet, paper, report, press article."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Short id used by catalog rows to cite this document.")
    title: str = Field(min_length=3, description="Title of the document (and publisher).")
    url: str | None = Field(None, description="Where the document can be read.")
    date: str = Field(description="Publication date, YYYY-MM or YYYY-MM-DD.",
                      pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    kind: str = Field("document", description="datasheet | paper | report | press | "
                      "estimate | documentation.")


class Provenance(BaseModel):
    """Where one fact comes from, and whether it is an estimate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="Id of a Source in the catalog's sources table.")
    estimate: bool = Field(False, description="True where the value is an estimate.")
    note: str | None = Field(None, description="How the value was derived, if not stated.")


class SourcedRow(StrictNumbers):
    """A catalog row whose facts each have a provenance (see module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$",
                    description="Lower-case id with hyphens; part of the interface.")
    name: str = Field(description="Human-readable name.")
    source: str = Field(description="Id of the Source that states this row's facts "
                        "unless a fact names its own.")
    estimate: bool = Field(False, description="True where the row's default source "
                           "gives estimates rather than measured or stated values.")
    notes: str | None = Field(None, description="Free text: caveats, derivations.")
    provenance: dict[str, Provenance] = Field(
        default_factory=dict, description="Filled on load: provenance of each fact.")

    @model_validator(mode="before")
    @classmethod
    def _split_facts(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "provenance" in data:
            raise ValueError("'provenance' is computed on load; cite with 'source:' instead")
        prov: dict[str, dict[str, Any]] = {}
        default = {"source": data.get("source"), "estimate": data.get("estimate", False)}
        for key, value in list(data.items()):
            if key in _NOT_FACTS or key == "estimate":
                continue
            if isinstance(value, dict) and "value" in value and set(value) <= {
                    "value", "source", "estimate", "note"}:
                prov[key] = {"source": value.get("source", default["source"]),
                             "estimate": value.get("estimate", default["estimate"]),
                             "note": value.get("note")}
                data[key] = value["value"]
            elif default["source"] is not None:
                prov[key] = dict(default)
        data["provenance"] = prov
        return data

    def source_of(self, field: str) -> Provenance:
        """The provenance of one fact of this row."""
        return self.provenance.get(field, Provenance(source=self.source, estimate=self.estimate))

    def facts(self) -> dict[str, Any]:
        """The row's facts as plain values (no provenance), JSON-safe."""
        return self.model_dump(mode="json", exclude={"provenance"})
