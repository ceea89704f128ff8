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
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, BeforeValidator, StringConstraints

from planner import schema
from planner.catalog import builtin_catalog_path
from planner.errors import InputError, Position, Problem, path_to_key
from planner.loading import Document, KeyPath, load_file
from planner.schema import PERIOD_PATTERN, period_index, period_name

IDENTITY: dict[type[BaseModel], tuple[str, ...]] = {
    schema.Site: ("id",), schema.PowerSource: ("id",), schema.HallType: ("id",),
    schema.CloudOffer: ("id",), schema.Accelerator: ("id",), schema.BudgetYear: ("year",),
    schema.Supply: ("accelerator",), schema.MinUnits: ("accelerator",), schema.Installed: ("accelerator",),
    schema.Commitment: ("vendor",), schema.ShareBound: ("vendor", "ecosystem"),
    schema.PowerPhase: ("online",), schema.DemandStep: ("from",),
}
"""The key that names an item of a list of these (a scenario merges and `--set` walks by it)."""

CREATABLE = frozenset({schema.BudgetYear, schema.Supply, schema.MinUnits, schema.Commitment,
                       schema.ShareBound, schema.PowerPhase, schema.DemandStep})
"""Lists where `--set` may add an item named in the path (`budget.2029.limit_usd=$5B`); sites,
sources, halls and offers are never made up from a typo."""

MAX_VALUE_CHARS = 2_000
_SHIFT = re.compile(r"^[+-][0-9]{1,3}$")
_SCALE = re.compile(r"^[x*]([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)$")
REMOVE = object()

Op = Literal["set", "scale", "shift"]


# --- positions of a subtree ------------------------------------------------------------------

@dataclass
class Marks:
    """Positions of one subtree: its own, and its children's by key or index."""

    here: Position | None = None
    children: dict[str | int, Marks] = field(default_factory=dict)

    def child(self, key: str | int) -> Marks:
        return self.children.get(key) or Marks()

    def copy(self) -> Marks:
        return Marks(self.here, dict(self.children))

    @classmethod
    def of(cls, positions: dict[KeyPath, Position]) -> Marks:
        """The tree of a Document's flat {key path: position} map."""
        root = cls()
        for path, position in positions.items():
            node = root
            for part in path:
                node = node.children.setdefault(part, cls())
            node.here = position
        return root

    def flatten(self) -> dict[KeyPath, Position]:
        out: dict[KeyPath, Position] = {}
        stack: list[tuple[KeyPath, Marks]] = [((), self)]
        while stack:
            path, node = stack.pop()
            if node.here is not None:
                out[path] = node.here
            stack += [((*path, key), child) for key, child in node.children.items()]
        return out


# --- what the schema says a key holds --------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    """What a key (or a list's items) may hold, read off the pydantic models."""

    model: type[BaseModel] | None = None
    """The model of a mapping value, or of a list's items."""
    is_list: bool = False
    is_mapping: bool = False
    """A free mapping (`sources`): any key."""
    converter: Callable[[Any], float] | None = None
    is_period: bool = False
    is_number: bool = False
    default: Any = None


def _walk_annotation(annotation: Any) -> Iterator[Any]:
    """The annotation and everything inside it (Optional members, list items, Annotated metadata)."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        yield current
        stack += list(getattr(current, "__metadata__", ()))
        stack += list(getattr(current, "__args__", ()))
        origin = getattr(current, "__origin__", None)
        if origin is not None and getattr(current, "__metadata__", None) is not None:
            stack.append(origin)


def slot_of(annotation: Any, metadata: Sequence[Any] = (), default: Any = None) -> Slot:
    """A Slot for an annotation such as `list[Site]`, `PowerMW`, `Period | None`."""
    parts = [*metadata, *_walk_annotation(annotation)]
    model = next((p for p in parts if isinstance(p, type) and issubclass(p, BaseModel)), None)
    is_list = any(p is list or getattr(p, "__origin__", None) is list for p in parts)
    is_mapping = model is None and any(p is dict or getattr(p, "__origin__", None) is dict for p in parts)
    converter = next((p.func for p in parts if isinstance(p, BeforeValidator)), None)
    is_period = any(isinstance(p, StringConstraints) and p.pattern == PERIOD_PATTERN.pattern for p in parts)
    is_number = converter is not None or (not is_list and any(p in (float, int) for p in parts))
    return Slot(model, is_list, is_mapping, converter, is_period, is_number,  # type: ignore[arg-type]
                default if isinstance(default, int | float | str) else None)


def field_slot(model: type[BaseModel] | None, key: str) -> tuple[str, Slot] | None:
    """The key as written (alias first) and its Slot, or None if `model` has no such key."""
    if model is None:
        return None
    for name, info in model.model_fields.items():
        if key in (info.alias, name):
            return info.alias or name, slot_of(info.annotation, info.metadata, info.default)
    return None


def field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


ROOT = Slot(model=schema.PlanFile)


def _identity(item: Any, keys: tuple[str, ...]) -> Any:
    if not isinstance(item, dict):
        return None
    return next((item[k] for k in keys if k in item), None)


def as_number(value: Any, slot: Slot) -> float:
    """A number, or a unit string converted to the key's unit (`$3.2M` -> 3.2e6).

    Raises:
        ValueError: The value is not a number of the key's dimension.
    """
    if slot.converter is not None:
        return float(slot.converter(value))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, found {value!r}")
    return float(value)


def shift_period(period: Any, quarters: int) -> str:
    """`2026Q4` shifted by `quarters` (+2 -> `2027Q2`).

    Raises:
        ValueError: `period` is not a quarter.
    """
    if not isinstance(period, str) or not PERIOD_PATTERN.match(period):
        raise ValueError(f"expected a quarter like 2026Q3 to shift, found {period!r}")
    return period_name(period_index(period) + quarters)


# --- overrides -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Override:
    """One `--set PATH=VALUE`: set a value, scale a number (`x1.2`) or shift a quarter (`+2`)."""

    path: str
    op: Op
    value: Any
    """set: the value (None removes); scale: the factor; shift: quarters."""
    origin: Position
    text: str
    """The value as written, for tables and messages."""

    @property
    def segments(self) -> list[str]:
        return self.path.split(".")


def parse_override(argument: str, number: int, option: str = "--set") -> Override:
    """Read `PATH=VALUE` (the `number`-th `option` given).

    Raises:
        InputError: No `=`, an empty path or value, or a value that is not valid YAML.
    """
    path, equals, text = argument.partition("=")
    path = path.strip()
    origin = Position(option, number, len(path) + 2)
    if not equals or not path or not text.strip():
        raise InputError([Problem(Position(option, number, 1), path,
                                  f"expected PATH=VALUE (e.g. budget.2026.limit_usd=$30B), found '{argument}'")])
    if any(not part for part in path.split(".")):
        raise InputError([Problem(Position(option, number, 1), path, "expected a dotted path without empty parts")])
    return make_override(path, text.strip(), origin)


def make_override(path: str, text: str, origin: Position) -> Override:
    """An Override from a value written as text (YAML rules, plus the `+N` and `xF` shorthands)."""
    if scale := _SCALE.match(text):
        return Override(path, "scale", float(scale[1]), origin, text)
    value = parse_value(text, origin)
    if _SHIFT.match(text):
        return Override(path, "shift", int(text), origin, text)
    return Override(path, "set", value, origin, text)


def parse_value(text: str, origin: Position) -> Any:
    """A value written on the command line, read by the same loader (and rules) as plan files.

    Raises:
        InputError: Not valid YAML by the project's rules; positions point at `origin`.
    """
    if len(text) > MAX_VALUE_CHARS or "\n" in text or "\r" in text:
        raise InputError([Problem(origin, "", f"expected a one-line value of at most {MAX_VALUE_CHARS} characters")])
    prefix = "value: "
    with tempfile.TemporaryDirectory(prefix="planner-set-") as folder:
        file = Path(folder) / "value.yaml"
        file.write_text(prefix + text + "\n", encoding="utf-8")
        try:
            document = load_file(file)
        except InputError as error:
            raise InputError([_moved(problem, origin, len(prefix)) for problem in error.problems]) from None
    assert isinstance(document.data, dict)
    return document.data.get("value")


def _moved(problem: Problem, origin: Position, offset: int) -> Problem:
    column = origin.column + max(0, (problem.position.column if problem.position else 1) - 1 - offset)
    key = problem.key.removeprefix("value").lstrip(".")
    return Problem(Position(origin.file, origin.line, column), key, problem.message)


# --- the catalog, for entries a plan does not list yet ---------------------------------------

class CatalogSource:
    """Catalog entries as raw data with their positions (built-in, then `--catalog`), read once
    and only when a scenario or `--set` names an accelerator the plan's `catalog:` lacks."""

    def __init__(self, catalog_path: Path | None) -> None:
        self.catalog_path = catalog_path
        self._entries: dict[str, tuple[dict[str, Any], Marks]] | None = None

    def entries(self) -> dict[str, tuple[dict[str, Any], Marks]]:
        if self._entries is None:
            documents = []
            extra = load_file(self.catalog_path) if self.catalog_path is not None else None
            mode = extra.data.get("mode", "extend") if extra is not None and isinstance(extra.data, dict) else "extend"
            if mode != "replace":
                documents.append(load_file(builtin_catalog_path()))
            if extra is not None:
                documents.append(extra)
            self._entries = {}
            for document in documents:
                marks = Marks.of(document.positions).child("accelerators")
                items = document.data.get("accelerators") if isinstance(document.data, dict) else None
                for i, item in enumerate(items if isinstance(items, list) else []):
                    if isinstance(item, dict) and isinstance(item.get("id"), str):
                        self._entries[item["id"]] = (item, marks.child(i))
        return self._entries


# --- overlays ---------------------------------------------------------------------------------

def _is_removal(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"remove"} and value["remove"] is True


class _Merger:
    """Overlays one scenario tree on the plan tree, collecting every problem."""

    def __init__(self, catalog: CatalogSource) -> None:
        self.catalog = catalog
        self.problems: list[Problem] = []

    def fail(self, marks: Marks, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(marks.here, path_to_key(path), message))

    def merge(self, base: Any, base_marks: Marks, over: Any, over_marks: Marks, slot: Slot,
              path: KeyPath) -> tuple[Any, Marks]:
        if isinstance(base, dict) and isinstance(over, dict) and (slot.model is not None or slot.is_mapping):
            return self.merge_mapping(base, base_marks, over, over_marks, slot, path)
        keys = IDENTITY.get(slot.model) if slot.model is not None else None
        if (isinstance(base, list) and isinstance(over, list) and keys
                and all(_identity(item, keys) is not None for item in over)):
            return self.merge_list(base, base_marks, over, over_marks, slot, path)
        return over, over_marks

    def merge_mapping(self, base: dict[str, Any], base_marks: Marks, over: dict[str, Any], over_marks: Marks,
                      slot: Slot, path: KeyPath) -> tuple[Any, Marks]:
        data, marks = dict(base), base_marks.copy()
        for key, value in over.items():
            child_marks = over_marks.child(key)
            if _is_removal(value):
                if key not in data:
                    self.fail(child_marks, (*path, key), "nothing to remove: the plan has no such key")
                data.pop(key, None)
                marks.children.pop(key, None)
                continue
            found = field_slot(slot.model, key)
            child_slot = found[1] if found else Slot()
            if key in data or isinstance(value, list | dict):
                # An absent list merges into an empty one, so its items are read the same way
                # (`catalog:` entries start from the built-in catalog, say).
                empty: Any = [] if isinstance(value, list) else {}
                base_child = marks.child(key) if key in data else Marks(child_marks.here)
                data[key], marks.children[key] = self.merge(
                    data.get(key, empty), base_child, value, child_marks, child_slot, (*path, key))
            else:
                data[key], marks.children[key] = value, child_marks
        return data, marks

    def merge_list(self, base: list[Any], base_marks: Marks, over: list[Any], over_marks: Marks,
                   slot: Slot, path: KeyPath) -> tuple[Any, Marks]:
        assert slot.model is not None
        keys = IDENTITY[slot.model]
        items: list[Any] = list(base)
        marks = [base_marks.child(i) for i in range(len(base))]
        for j, entry in enumerate(over):
            entry_marks = over_marks.child(j)
            name = _identity(entry, keys)
            matches = [i for i, item in enumerate(items) if item is not REMOVE and _same(item, entry, keys)]
            where = (*path, j)
            if len(matches) > 1:
                self.fail(entry_marks, where, f"'{name}' names {len(matches)} entries here; "
                          "add `from` to say which, or replace the whole list")
            elif entry.get("remove", False) is not False:
                if entry.get("remove") is not True:
                    self.fail(entry_marks.child("remove"), (*where, "remove"), "expected `remove: true`")
                elif not matches:
                    self.fail(entry_marks, where, f"nothing to remove: no entry '{name}' "
                              f"(entries: {', '.join(str(_identity(i, keys)) for i in base) or 'none'})")
                else:
                    items[matches[0]] = REMOVE
            elif matches:
                i = matches[0]
                items[i], marks[i] = self.merge(items[i], marks[i], entry, entry_marks, Slot(model=slot.model), where)
            elif path == ("catalog",) and name in self.catalog.entries():
                known, known_marks = self.catalog.entries()[name]
                merged = self.merge(known, known_marks, entry, entry_marks, Slot(model=slot.model), where)
                items.append(merged[0])
                marks.append(merged[1])
            else:
                items.append(entry)
                marks.append(entry_marks)
        return _compact(items, marks, base_marks.here)


def _same(item: Any, entry: dict[str, Any], keys: tuple[str, ...]) -> bool:
    if not isinstance(item, dict):
        return False
    key = next(k for k in keys if k in entry)
    if item.get(key) != entry[key]:
        return False
    # Supply, shares and the like may hold several windows of one accelerator: `from` picks one.
    return "from" not in entry or key == "from" or item.get("from") == entry["from"]


def _compact(items: list[Any], marks: list[Marks], here: Position | None) -> tuple[list[Any], Marks]:
    kept = [(item, mark) for item, mark in zip(items, marks, strict=True) if item is not REMOVE]
    return [item for item, _ in kept], Marks(here, {i: mark for i, (_, mark) in enumerate(kept)})


# --- scenario files -----------------------------------------------------------------------------

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
    from planner.validation import validate  # noqa: PLC0415 - pydantic errors, only here

    document = load_file(path)
    if not isinstance(document.data, dict):
        raise InputError([document.problem((), "expected a mapping of plan keys to change")])
    data = dict(document.data)
    marks = Marks.of(document.positions)
    meta_data = data.pop("scenario", {})
    meta = validate(ScenarioMeta, Document(meta_data if meta_data is not None else {},
                                           marks.child("scenario").flatten(), document.files))
    marks.children.pop("scenario", None)
    overlay = Document(data, marks.flatten(), list(document.files))
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
    files = list(base.files)
    for overlay in scenario.overlays:
        merger = _Merger(catalog)
        data, marks = merger.merge(data, marks, overlay.data, Marks.of(overlay.positions), ROOT, ())
        if merger.problems:
            raise InputError(merger.problems)
        files += overlay.files
    problems: list[Problem] = []
    for override in scenario.overrides:
        try:
            data, marks = _Editor(override, catalog).apply(data, marks)
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    return Document(data, marks.flatten(), files)


# --- --set: walking a path through ids ---------------------------------------------------------

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
        return _compact(items, item_marks, marks.here)

    def whole_item(self, segment: str, i: int) -> Any:
        if self.override.op != "set":
            raise self.fail(i, "shift and scale apply to a single value, not a whole entry")
        return REMOVE if self.override.value is None else self.override.value

    def find(self, items: list[Any], item_marks: list[Marks], slot: Slot, i: int) -> int:
        """The index of the item `segment` names (its identity, or an index); create it if allowed."""
        segment = self.segments[i]
        keys = IDENTITY.get(slot.model) if slot.model is not None else None
        if keys:
            matches = [j for j, item in enumerate(items) if str(_identity(item, keys)) == segment]
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
                name = _identity(item, keys) if keys else None
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
        listed = {str(_identity(e, ("id",))) for e in (data.get("catalog") or [])} if isinstance(data, dict) else set()
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
