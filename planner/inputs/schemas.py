"""JSON Schemas of plan, site and catalog files, generated from the pydantic models."""

from __future__ import annotations

import json

from planner.inputs.schema import CatalogFile, PlanFile, Site

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schemas() -> dict[str, str]:
    """Schema text by kind (plan, site, catalog), stable for committing."""
    out = {}
    for name, model in (("plan", PlanFile), ("site", Site), ("catalog", CatalogFile)):
        schema = {"$schema": SCHEMA_DIALECT, **model.model_json_schema(by_alias=True)}
        out[name] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out
