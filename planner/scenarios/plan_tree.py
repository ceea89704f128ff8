"""The loaded plan tree as scenarios and `--set` see it, before validation.

- `Marks`: the positions of a subtree (its own, and its children's by key or index), so every
  key keeps the file:line:column it came from through merges and edits;
- `Slot`: what a key holds (a model, a list, a quarter, a number and its unit), read off the
  pydantic models of `planner.inputs.schema`;
- `IDENTITY`: the key that names an item of each list (a scenario merges and `--set` walks by it);
- `CatalogSource`: catalog entries as raw data, for accelerators a plan's `catalog:` lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, BeforeValidator, StringConstraints

from planner.errors import Position
from planner.inputs import schema
from planner.inputs.catalog import builtin_catalog_path
from planner.inputs.loading import KeyPath, load_file
from planner.inputs.schema import PERIOD_PATTERN, period_index, period_name

IDENTITY: dict[type[BaseModel], tuple[str, ...]] = {
    schema.Site: ("id",), schema.PowerSource: ("id",), schema.HallType: ("id",),
    schema.CloudOffer: ("id",), schema.Accelerator: ("id",), schema.BudgetYear: ("year",),
    schema.Supply: ("accelerator",), schema.MinUnits: ("accelerator",), schema.Installed: ("accelerator",),
    schema.Commitment: ("vendor",), schema.ShareBound: ("vendor", "ecosystem"),
    schema.PowerPhase: ("online",), schema.DemandStep: ("from",), schema.Stack: ("id",),
    schema.MaturityStep: ("from",),
}
"""The key that names an item of a list of these (a scenario merges and `--set` walks by it)."""

CREATABLE = frozenset({schema.BudgetYear, schema.Supply, schema.MinUnits, schema.Commitment,
                       schema.ShareBound, schema.PowerPhase, schema.DemandStep})
"""Lists where `--set` may add an item named in the path (`budget.2029.limit_usd=$5B`); sites,
sources, halls and offers are never made up from a typo."""

REMOVE = object()
"""Stands for an item or key to drop, while a list or mapping is being rebuilt."""


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


def compact(items: list[Any], marks: list[Marks], here: Position | None) -> tuple[list[Any], Marks]:
    """The list without its REMOVE items, and its marks renumbered to match."""
    kept = [(item, mark) for item, mark in zip(items, marks, strict=True) if item is not REMOVE]
    return [item for item, _ in kept], Marks(here, {i: mark for i, (_, mark) in enumerate(kept)})


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


def walk_annotation(annotation: Any, field_metadata: bool = False) -> Iterator[Any]:
    """The annotation and everything inside it (Optional members, list items, Annotated metadata;
    with `field_metadata`, the constraints a pydantic `FieldInfo` inside it holds too)."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        yield current
        stack += list(getattr(current, "__metadata__", ()))
        stack += list(getattr(current, "__args__", ()))
        if field_metadata and not isinstance(current, type):
            stack += list(getattr(current, "metadata", ()))
        origin = getattr(current, "__origin__", None)
        if origin is not None and getattr(current, "__metadata__", None) is not None:
            stack.append(origin)


def slot_of(annotation: Any, metadata: Sequence[Any] = (), default: Any = None) -> Slot:
    """A Slot for an annotation such as `list[Site]`, `PowerMW`, `Period | None`."""
    parts = [*metadata, *walk_annotation(annotation)]
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


def identity(item: Any, keys: tuple[str, ...]) -> Any:
    """The value naming `item` (its first key of `keys` present), or None."""
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
