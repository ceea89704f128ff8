"""`--set PATH=VALUE` resolved: a dotted path walked through ids to the key it names.

`sites.prometheus.power_sources.gas.online=2027Q1`, `budget.2026.limit_usd=$100B`,
`catalog.mi455x.unit_price_usd=3.2e6`: each part names a key, or a list item by its identity
(`planner.scenarios.plan_tree.IDENTITY`) or index. Lists that allow it get the item a path names
(`budget.2029.limit_usd=$5B`; a catalog entry from the built-in catalog); sites, sources, halls
and offers are never made up from a typo. `...power_sources.<id>.online` moves every phase of a
source (a plant delay). A path that leads nowhere is refused with the nearest valid ones.
"""

from __future__ import annotations

import difflib
from typing import Any

from planner.errors import InputError, Position, Problem
from planner.inputs import schema
from planner.inputs.loading import Document
from planner.inputs.schema import PERIOD_PATTERN, period_index
from planner.scenarios.overrides import Override
from planner.scenarios.plan_tree import (
    CREATABLE,
    IDENTITY,
    REMOVE,
    ROOT,
    CatalogSource,
    Marks,
    Slot,
    as_number,
    compact,
    field_names,
    field_slot,
    identity,
    shift_period,
)


def apply_override(data: Any, marks: Marks, override: Override, catalog: CatalogSource) -> tuple[Any, Marks]:
    """The tree `data` (positions `marks`) with one override applied, copying only the containers on its path.

    Raises:
        InputError: The path does not exist (with the nearest valid ones), or the value cannot apply there.
    """
    return _Editor(override, catalog).apply(data, marks)


class _Editor:
    """Applies one Override to the tree, copying only the containers on its path."""

    def __init__(self, override: Override, catalog: CatalogSource) -> None:
        self.override = override
        self.segments = override.segments
        self.catalog = catalog
        self.root: Any = None
        self.probe: dict[str, Any] | None = None
        """When set, record the Slot and value at the path instead of changing anything."""

    def apply(self, data: Any, marks: Marks) -> tuple[Any, Marks]:
        self.root = data
        return self.edit(data, marks, ROOT, 0)

    def fail(self, index: int, reason: str) -> InputError:
        suggestions = nearest_paths(self.override.path, self.root, self.catalog, index)
        hint = f"; nearest valid paths: {', '.join(suggestions)}" if suggestions else ""
        shown = ".".join(self.segments[: index + 1])
        message = f"no such path: {reason} (at '{shown}'){hint}"
        return InputError([Problem(Position(self.override.origin.file, self.override.origin.line, 1),
                                   self.override.path, message)])

    def edit(self, node: Any, marks: Marks, slot: Slot, i: int) -> tuple[Any, Marks]:
        if isinstance(node, list):
            return self.edit_list(node, marks, slot, i)
        if not isinstance(node, dict):
            raise self.fail(i - 1, "this is a single value, with no keys inside")
        segment, last = self.segments[i], i == len(self.segments) - 1
        if slot.model is schema.PowerSource and segment == "online" and last:
            return self.move_phases(node, marks, i)
        found = field_slot(slot.model, segment) if slot.model else (segment, Slot())
        if found is None or (slot.model is None and not slot.is_mapping):
            raise self.fail(i, f"'{segment}' is not a key here")
        key, child_slot = found
        data, new_marks = dict(node), marks.copy()
        if last:
            value = self.final(node.get(key, child_slot.default), child_slot, i)
            if value is REMOVE:
                data.pop(key, None)
                new_marks.children.pop(key, None)
            else:
                data[key] = value
                new_marks.children[key] = Marks(self.override.origin)
            return data, new_marks
        child = node.get(key)
        if child is None:
            child = [] if child_slot.is_list else {}
            new_marks.children[key] = Marks(self.override.origin)
        data[key], new_marks.children[key] = self.edit(child, new_marks.child(key), child_slot, i + 1)
        return data, new_marks

    def edit_list(self, node: list[Any], marks: Marks, slot: Slot, i: int) -> tuple[Any, Marks]:
        segment, last = self.segments[i], i == len(self.segments) - 1
        items, item_marks = list(node), [marks.child(j) for j in range(len(node))]
        index = self.find(items, item_marks, slot, i)
        if last:
            value = self.final(items[index], Slot(), i) if slot.model is None else self.whole_item(segment, i)
            items[index] = value
            item_marks[index] = Marks(self.override.origin)
        else:
            if not isinstance(items[index], dict):
                raise self.fail(i, "this item is a single value, with no keys inside")
            items[index], item_marks[index] = self.edit(items[index], item_marks[index],
                                                        Slot(model=slot.model), i + 1)
        return compact(items, item_marks, marks.here)

    def whole_item(self, segment: str, i: int) -> Any:
        if self.override.op != "set":
            raise self.fail(i, "shift and scale apply to a single value, not a whole entry")
        return REMOVE if self.override.value is None else self.override.value

    def find(self, items: list[Any], item_marks: list[Marks], slot: Slot, i: int) -> int:
        """The index of the item `segment` names (its identity, or an index); create it if allowed."""
        segment = self.segments[i]
        keys = IDENTITY.get(slot.model) if slot.model is not None else None
        if keys:
            matches = [j for j, item in enumerate(items) if str(identity(item, keys)) == segment]
            if len(matches) > 1:
                raise self.fail(i, f"'{segment}' names {len(matches)} entries; use an index "
                                f"({', '.join(str(j) for j in matches)}) instead")
            if matches:
                return matches[0]
        if segment.isdigit() and int(segment) < len(items):
            return int(segment)
        created = self.create(segment, slot, i)
        if created is None:
            what = f"no entry '{segment}'" if keys else f"no item {segment} (the list has {len(items)})"
            raise self.fail(i, what)
        items.append(created[0])
        item_marks.append(created[1])
        return len(items) - 1

    def create(self, segment: str, slot: Slot, i: int) -> tuple[Any, Marks] | None:
        """A new item for `segment`, where the list allows one and the name is a real one."""
        origin = Marks(self.override.origin)
        if slot.model is schema.Accelerator and i == 1 and self.segments[0] == "catalog":
            entry = self.catalog_entries().get(segment)
            return (dict(entry[0]), entry[1].copy()) if entry else None
        removing = len(self.segments) == i + 1 and self.override.value is None
        if slot.model not in CREATABLE or removing:
            return None
        if slot.model is schema.BudgetYear:
            return ({"year": int(segment)}, origin) if segment.isdigit() else None
        if slot.model in (schema.PowerPhase, schema.DemandStep):
            name = IDENTITY[slot.model][0]
            return ({name: segment}, origin) if PERIOD_PATTERN.match(segment) else None
        entries = {**{k: data for k, (data, _) in self.catalog_entries().items()},
                   **{e["id"]: e for e in self.plan_catalog()}}
        vendors = {str(e.get("vendor")) for e in entries.values()}
        ecosystems = {str(e.get("ecosystem")) for e in entries.values()}
        key: str | None = None
        if slot.model in (schema.Supply, schema.MinUnits) and segment in entries:
            key = "accelerator"
        elif slot.model in (schema.Commitment, schema.ShareBound) and segment in vendors:
            key = "vendor"
        elif slot.model is schema.ShareBound and segment in ecosystems:
            key = "ecosystem"
        return ({key: segment}, origin) if key else None

    def catalog_entries(self) -> dict[str, tuple[dict[str, Any], Marks]]:
        try:
            return self.catalog.entries()
        except InputError:
            return {}

    def plan_catalog(self) -> list[dict[str, Any]]:
        catalog = self.root.get("catalog") if isinstance(self.root, dict) else None
        return [e for e in catalog if isinstance(e, dict) and "id" in e] if isinstance(catalog, list) else []

    def final(self, current: Any, slot: Slot, i: int) -> Any:
        """The value to store, after the shorthands (`+2` on a quarter, `x1.2` on a number)."""
        override = self.override
        if self.probe is not None:
            self.probe.update(slot=slot, current=current)
            return current
        if override.op == "shift" and slot.is_period:
            try:
                return shift_period(current, override.value)
            except ValueError as error:
                raise self.fail(i, str(error)) from None
        if override.op == "scale":
            if not slot.is_number:
                raise self.fail(i, f"'{override.text}' multiplies a number; this key is not one")
            try:
                return as_number(current, slot) * override.value
            except ValueError as error:
                raise self.fail(i, f"cannot multiply {current!r}: {error}") from None
        return REMOVE if override.value is None else override.value

    def move_phases(self, node: dict[str, Any], marks: Marks, i: int) -> tuple[Any, Marks]:
        """`<source>.online`: every phase moves by the same number of quarters (a plant delay)."""
        phases = node.get("phases")
        if not isinstance(phases, list) or not phases or not isinstance(phases[0], dict):
            raise self.fail(i, "this power source has no phases to move")
        first = phases[0].get("online")
        if self.probe is not None:
            self.probe.update(slot=Slot(is_period=True), current=first)
            return node, marks
        override = self.override
        try:
            if override.op == "shift":
                quarters = override.value
            elif isinstance(override.value, str) and PERIOD_PATTERN.match(override.value):
                quarters = period_index(override.value) - period_index(str(first))
            else:
                raise self.fail(i, f"expected a quarter like 2027Q1 or a shift like +2, found '{override.text}'")
            moved = [{**phase, "online": shift_period(phase.get("online"), quarters)} for phase in phases]
        except ValueError as error:
            raise self.fail(i, str(error)) from None
        data, new_marks = dict(node), marks.copy()
        data["phases"] = moved
        phase_marks = marks.child("phases").copy()
        for j in range(len(moved)):
            mark = phase_marks.child(j).copy()
            mark.children["online"] = Marks(override.origin)
            phase_marks.children[j] = mark
        new_marks.children["phases"] = phase_marks
        return data, new_marks


def describe(document: Document, override: Override, catalog: CatalogSource) -> tuple[Slot, Any]:
    """What `override.path` holds (its Slot) and its current value, changing nothing.

    Raises:
        InputError: The path does not exist (with the nearest valid ones).
    """
    editor = _Editor(override, catalog)
    editor.probe = {}
    editor.apply(document.data, Marks.of(document.positions))
    return editor.probe["slot"], editor.probe["current"]


def valid_paths(data: Any, catalog: CatalogSource, limit: int = 200_000) -> list[str]:
    """Every path `--set` accepts in this plan (through ids), for suggestions."""
    out: list[str] = []

    def visit(node: Any, slot: Slot, prefix: str, depth: int) -> None:
        if len(out) >= limit or depth > 10:
            return
        if slot.is_list and slot.model is not None:
            keys = IDENTITY.get(slot.model, ())
            for j, item in enumerate(node if isinstance(node, list) else []):
                name = identity(item, keys) if keys else None
                # Items are named by id; those named by a year, quarter or accelerator also by index.
                names = {str(name), str(j)} if name is not None and keys != ("id",) else {str(name if name else j)}
                for shown in sorted(names):
                    visit(item, Slot(model=slot.model), f"{prefix}{shown}.", depth + 1)
            return
        if slot.model is None:
            return
        mapping = node if isinstance(node, dict) else {}
        extra = ["online"] if slot.model is schema.PowerSource else []
        for name in [*field_names(slot.model), *extra]:
            out.append(prefix + name)
            found = field_slot(slot.model, name)
            if found is not None and found[1].model is not None:
                visit(mapping.get(name), found[1], f"{prefix}{name}.", depth + 1)

    visit(data, ROOT, "", 0)
    try:
        listed = {str(identity(e, ("id",))) for e in (data.get("catalog") or [])} if isinstance(data, dict) else set()
        for accelerator_id in catalog.entries():
            if accelerator_id not in listed:
                out += [f"catalog.{accelerator_id}.{name}" for name in field_names(schema.Accelerator)]
    except (InputError, TypeError):
        pass
    return out


def nearest_paths(path: str, data: Any, catalog: CatalogSource, index: int, count: int = 3) -> list[str]:
    """The valid paths closest to `path`, preferring those that share its valid first parts."""
    candidates = valid_paths(data, catalog)
    prefix = ".".join(path.split(".")[:index])
    if prefix:
        sharing = [c for c in candidates if c.startswith(prefix + ".")]
        close = difflib.get_close_matches(path, sharing, n=count, cutoff=0.5)
        if close:
            return close
    return difflib.get_close_matches(path, candidates, n=count, cutoff=0.5)
