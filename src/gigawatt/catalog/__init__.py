"""The sourced catalog: accelerators, systems, fabrics, facility, power, sites, LLMs."""

from .base import Provenance, Source, SourcedRow
from .loader import TABLES, Catalog, load_catalog, load_catalog_from
from .schema import LLM, Accelerator, LLMArchitecture, ModelFile, Site, System

__all__ = ["Catalog", "load_catalog", "load_catalog_from", "TABLES", "Source", "Provenance",
           "SourcedRow", "Accelerator", "System", "Site", "LLM", "LLMArchitecture",
           "ModelFile"]
