"""Scenarios: a plan plus overrides, applied to the loaded tree BEFORE validation.

A scenario file overlays the base plan: mappings merge key by key; lists of things with an
identity merge by it (`id`; `accelerator` for supply, minimum units and installed units;
`year` for budget; `vendor` for commitments; `vendor`/`ecosystem` for shares; `online` for
power phases; `from` for demand steps); `{id: tents, remove: true}` removes an item and
`key: {remove: true}` a key; anything else replaces what was there.

`--set PATH=VALUE` walks dotted paths through those identities
(`sites.prometheus.power_sources.gas.online=2027Q1`, `budget.2026.limit_usd=$100B`,
`catalog.mi455x.unit_price_usd=3.2e6`); values are read by the project's YAML rules.
Shorthands: `+2`/`-1` on a quarter shifts it by that many quarters (a delivery slip), `x1.2`
(or `*1.2`) on a number multiplies it, `null` removes a key or a list item, and
`...power_sources.<id>.online` moves every phase of a source (a plant delay).

Every key keeps its position: scenario keys point to the scenario file's lines and `--set`
values to `--set:N:COLUMN` (the N-th override), so validation errors say where they came from.

The work is split by job: `planner.scenarios.plan_tree` (positions and what each key holds),
`planner.scenarios.overrides` (`--set` as written), `planner.scenarios.overlay` (merging a scenario file),
`planner.scenarios.set_paths` (walking a `--set` path); this module reads scenario files and applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError, Problem
from planner.inputs import schema
from planner.inputs.loading import Document, load_file
from planner.scenarios.overlay import merge_overlay
from planner.scenarios.overrides import Override
from planner.scenarios.plan_tree import CatalogSource, Marks
from planner.scenarios.set_paths import apply_override


class ScenarioMeta(schema.StrictModel):
    """The `scenario:` block of a scenario file (everything else overlays the plan)."""

    name: schema.Id | None = None
    """Short name in tables and charts; the file's name by default."""
    title: schema.Text | None = None
    description: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to a base plan: overlay files, then `--set` overrides."""

    name: str
    title: str
    overlays: tuple[Document, ...] = ()
    overrides: tuple[Override, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(f for overlay in self.overlays for f in overlay.files)


def read_scenario(path: Path) -> Scenario:
    """Read a scenario file: its `scenario:` block, and the rest as an overlay of the plan.

    Raises:
        InputError: The file cannot be read, or its `scenario:` block is wrong.
    """
    from planner.inputs.validation import validate  # noqa: PLC0415 - pydantic errors, only here

    document = load_file(path)
    if not isinstance(document.data, dict):
        raise InputError([document.problem((), "expected a mapping of plan keys to change")])
    data = dict(document.data)
    marks = Marks.of(document.positions)
    meta_data = data.pop("scenario", {})
    meta = validate(ScenarioMeta, Document(meta_data if meta_data is not None else {},
                                           marks.child("scenario").flatten(), document.files))
    marks.children.pop("scenario", None)
    overlay = Document(data, marks.flatten(), list(document.files), dict(document.digests))
    name = meta.name or re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "scenario"
    return Scenario(name, meta.title or name, (overlay,))


def apply_scenario(base: Document, scenario: Scenario, catalog: CatalogSource,
                   base_marks: Marks | None = None) -> Document:
    """The base plan's tree with the scenario's overlays, then its overrides, applied.

    The base Document is not changed (edited containers are copies). Pass `base_marks`
    (`Marks.of(base.positions)`) when applying many scenarios to one base.

    Raises:
        InputError: An overlay or override that cannot apply (a bad path, nothing to remove).
    """
    data, marks = base.data, base_marks if base_marks is not None else Marks.of(base.positions)
    files, digests = list(base.files), dict(base.digests)
    for overlay in scenario.overlays:
        data, marks = merge_overlay(data, marks, overlay, catalog)
        files += overlay.files
        digests.update(overlay.digests)
    problems: list[Problem] = []
    for override in scenario.overrides:
        try:
            data, marks = apply_override(data, marks, override, catalog)
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    return Document(data, marks.flatten(), files, digests)
