"""Scenario overlays: one tree merged onto the plan's loaded tree, before validation.

Mappings merge key by key; lists of things with an identity merge by it (`id`, for stacks too;
`accelerator` for supply, minimum units and installed units; `year` for budget; `vendor` for
commitments; `vendor`/`ecosystem` for shares; `online` for power phases; `from` for demand and
maturity steps; see `planner.scenarios.plan_tree.IDENTITY`); `{id: tents, remove: true}` removes an item and
`key: {remove: true}` a key; anything else replaces what was there. A `catalog:` entry the plan
does not list starts from the built-in (or `--catalog`) entry of that id.
"""

from __future__ import annotations

from typing import Any

from planner.errors import InputError, Problem, path_to_key
from planner.inputs.loading import Document, KeyPath
from planner.scenarios.plan_tree import (
    IDENTITY,
    REMOVE,
    ROOT,
    CatalogSource,
    Marks,
    Slot,
    compact,
    field_slot,
    identity,
)


def merge_overlay(data: Any, marks: Marks, overlay: Document, catalog: CatalogSource) -> tuple[Any, Marks]:
    """The tree `data` (positions `marks`) with `overlay` merged on; edited containers are copies.

    Raises:
        InputError: Every part of the overlay that cannot apply (nothing to remove, an ambiguous entry).
    """
    merger = _Merger(catalog)
    merged = merger.merge(data, marks, overlay.data, Marks.of(overlay.positions), ROOT, ())
    if merger.problems:
        raise InputError(merger.problems)
    return merged


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
                and all(identity(item, keys) is not None for item in over)):
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
            name = identity(entry, keys)
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
                              f"(entries: {', '.join(str(identity(i, keys)) for i in base) or 'none'})")
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
        return compact(items, marks, base_marks.here)


def _same(item: Any, entry: dict[str, Any], keys: tuple[str, ...]) -> bool:
    if not isinstance(item, dict):
        return False
    key = next(k for k in keys if k in entry)
    if item.get(key) != entry[key]:
        return False
    # Supply, shares and the like may hold several windows of one accelerator: `from` picks one.
    return "from" not in entry or key == "from" or item.get("from") == entry["from"]
