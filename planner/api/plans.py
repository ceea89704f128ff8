"""`planner.Plan`: a planning problem, read-only, and `load_plan` to read one.

A Plan keeps the plan's tree as loaded (for `with_overrides`, the `--set` language) and the plan
resolved from it (what is solved). Nothing in it can be changed: attributes cannot be set,
mappings are read-only views of copies, sequences are tuples of frozen dataclasses. A changed
plan is a new Plan (`with_overrides`, `with_objective`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NoReturn

from planner.api.arguments import path_argument, refuse
from planner.errors import InputError, Position, Problem
from planner.inputs.loading import MAX_VALUES, Document, load_file, load_text
from planner.inputs.plan import LoadedPlan
from planner.inputs.resolve import plan_from_document, with_objective
from planner.objective import Objective
from planner.options import Options
from planner.scenarios.overrides import Override, make_override, parse_override
from planner.scenarios.plan_tree import CatalogSource
from planner.scenarios.scenarios import Scenario, apply_scenario

if TYPE_CHECKING:
    from planner.inputs.plan import Accelerator, Site

PlanSource = str | os.PathLike[str] | Mapping[str, Any]
"""A plan file's path (a `str` or a `Path`), or the plan's content as a mapping."""
OVERRIDE_ORIGIN = "with_overrides"
"""The file name errors give an override: `with_overrides:2:1` is the second one."""


def load_plan(source: PlanSource, *, catalog: str | os.PathLike[str] | None = None,
              objective: str | None = None) -> Plan:
    """Read, validate and resolve a plan.

    Args:
        source: A plan file (`"sites/ohio.yaml"` or a `Path`; its `include:`s resolve in its folder),
            or the plan as a mapping (the same keys and values as the YAML file, no `include:`).
        catalog: An accelerator catalog file to add to (or, with `mode: replace`, replace) the built-in one.
        objective: `max-compute` or `min-cost`, instead of the plan's own.

    Returns:
        The plan, read-only.

    Raises:
        InputError: Every problem found, each with its position, key, what was expected and what was found.
    """
    catalog_path = path_argument("catalog", catalog, what="a catalog file") if catalog is not None else None
    if isinstance(source, Mapping):
        document = _document_of(source)
    elif isinstance(source, str | os.PathLike):
        document = load_file(path_argument("source", source, what="a plan file"))
    else:
        raise refuse("source", "a plan file's path or a mapping of plan keys", source)
    objective = Options(objective=objective).objective  # checked: a typo names the choices
    return Plan(document, catalog_path, (), objective)


def _document_of(data: Mapping[str, Any]) -> Document:
    """A mapping read by the same loader and rules as a plan file (so `"2026Q1"`, `"$2B"` and numbers
    mean what they mean in YAML, and a value YAML cannot hold is refused)."""
    import yaml  # noqa: PLC0415

    _check_size("source", data)
    try:
        text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as error:
        raise InputError([Problem(None, "", f"expected plain data (mappings, lists, strings, numbers), "
                                            f"found what YAML cannot hold: {error}")]) from None
    return load_text(text, "<mapping>")


class Plan:
    """A planning problem, read-only: what `planner.solve` solves.

    Make one with `planner.load_plan`; change it with `with_overrides` (a new Plan each time).
    """

    __slots__ = ("_catalog_path", "_document", "_loaded", "_objective", "_overrides")

    _document: Document
    _catalog_path: Path | None
    _overrides: tuple[str, ...]
    _objective: str | None
    _loaded: LoadedPlan

    def __init__(self, document: Document, catalog_path: Path | None, overrides: tuple[str, ...],
                 objective: str | None, loaded: LoadedPlan | None = None) -> None:
        """Resolve `document` (use `load_plan`, not this); `loaded`: the document already resolved.

        Raises:
            InputError: The plan does not validate.
        """
        if loaded is None:
            loaded = plan_from_document(document, catalog_path)
        loaded = with_objective(loaded, objective)
        for name, value in (("_document", document), ("_catalog_path", catalog_path), ("_overrides", overrides),
                            ("_objective", objective), ("_loaded", loaded)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"a Plan cannot be changed (setting {name!r}): use with_overrides, which returns a "
                             "new Plan")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"a Plan cannot be changed (deleting {name!r})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Plan, (self._document, self._catalog_path, self._overrides, self._objective))

    # --- what the plan says ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        """Short name (`ohio`): the report folder's default name."""
        return self._loaded.plan.name

    @property
    def title(self) -> str:
        return self._loaded.plan.title

    @property
    def objective(self) -> Objective:
        """`max-compute` or `min-cost`."""
        return self._loaded.plan.objective

    @property
    def periods(self) -> tuple[str, ...]:
        """The horizon's quarters, `2026Q1` first."""
        return self._loaded.plan.periods

    @property
    def sites(self) -> tuple[Site, ...]:
        """The sites, resolved (frozen dataclasses: power sources, halls, per-quarter MW)."""
        return self._loaded.plan.sites

    @property
    def accelerators(self) -> tuple[Accelerator, ...]:
        """The accelerators the plan may buy or lease (after its policy's allow and exclude)."""
        return self._loaded.plan.accelerators

    @property
    def catalog(self) -> Mapping[str, Accelerator]:
        """Every catalog entry by id (read-only)."""
        return MappingProxyType(dict(self._loaded.plan.catalog))

    @property
    def budget_usd(self) -> Mapping[int, float]:
        """Yearly limit on capex + opex (read-only); a year not listed has none."""
        return MappingProxyType(dict(self._loaded.plan.budget_usd))

    @property
    def capex_budget_usd(self) -> Mapping[int, float]:
        """Yearly limit on capex alone (read-only)."""
        return MappingProxyType(dict(self._loaded.plan.capex_budget_usd))

    @property
    def opex_budget_usd(self) -> Mapping[int, float]:
        """Yearly limit on opex alone (read-only)."""
        return MappingProxyType(dict(self._loaded.plan.opex_budget_usd))

    @property
    def overrides(self) -> tuple[str, ...]:
        """The `PATH=VALUE` overrides applied to the file's plan, in order."""
        return self._overrides

    @property
    def files(self) -> tuple[Path, ...]:
        """The files the plan was read from (none for a mapping)."""
        return self._loaded.files

    @property
    def catalog_path(self) -> Path | None:
        """The catalog file given to `load_plan`, if any."""
        return self._catalog_path

    # --- changed copies -------------------------------------------------------------------------

    def with_overrides(self, overrides: Mapping[str, Any] | Iterable[str]) -> Plan:
        """A new Plan with values changed by dotted paths, as `plan whatif --set PATH=VALUE` does.

        Args:
            overrides: `{path: value}` (`{"budget.2027.capex_limit_usd": "$6B"}`), or `"PATH=VALUE"`
                strings. A string value is read as on the command line: units (`"$6B"`, `"150 MW"`),
                `"+2"` shifts a quarter, `"x1.2"` scales a number, `"null"` removes; other values
                (numbers, lists, None) are set as they are.

        Returns:
            A new Plan; this one is unchanged.

        Raises:
            InputError: A path that leads nowhere (with the nearest valid ones), or a plan that no
                longer validates; positions read `with_overrides:N:COLUMN` for the N-th override.
        """
        parsed = _overrides_of(overrides, len(self._overrides))
        if not parsed:
            return self
        document = apply_scenario(self._document, Scenario("overrides", "overrides", (), tuple(parsed)),
                                  CatalogSource(self._catalog_path))
        texts = tuple(f"{o.path}={o.text}" for o in parsed)
        return Plan(document, self._catalog_path, self._overrides + texts, self._objective)

    def with_objective(self, objective: str) -> Plan:
        """A new Plan with `max-compute` or `min-cost` as its objective.

        Raises:
            InputError: Neither of the two (the message lists them).
        """
        chosen = Options(objective=objective).objective
        return Plan(self._document, self._catalog_path, self._overrides, chosen, self._loaded)

    # --- shown ----------------------------------------------------------------------------------

    def __repr__(self) -> str:
        changed = f", {len(self._overrides)} override(s)" if self._overrides else ""
        return (f"<planner.Plan {self.name!r}: {len(self.sites)} site(s), {self.periods[0]}-{self.periods[-1]}, "
                f"{self.objective}{changed}>")

    def _repr_html_(self) -> str:
        from planner.api.html import plan_html  # noqa: PLC0415

        return plan_html(self)


def loaded_of(plan: Plan) -> LoadedPlan:
    """The resolved plan and its files, as planner's stages take them (for `planner.api` only: its
    mappings are the plan's own, not read-only views)."""
    return plan._loaded


def document_of(plan: Plan) -> Document:
    """The plan's tree as loaded, with every key's position (for `planner.api` only)."""
    return plan._document


def _check_size(name: str, data: object) -> None:
    """Refuse data with more values than a plan file may hold (`loading.MAX_VALUES`), counted before
    anything is copied or dumped (a 300,000-site mapping took 16 s and 415 MB to be refused after).

    Raises:
        InputError: Too many values; the count stops at the first past the limit.
    """
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise InputError([Problem(None, name, f"expected at most {MAX_VALUES:,} values (numbers, texts, lists "
                                                  "and mappings), found more: split the plan, or make a smaller one")])
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)


def _overrides_of(overrides: Mapping[str, Any] | Iterable[str], before: int) -> list[Override]:
    """Overrides as `--set` reads them; numbered after the `before` already applied."""
    if isinstance(overrides, str):
        overrides = [overrides]
    if not isinstance(overrides, Mapping | Iterable) or isinstance(overrides, bytes):
        raise refuse("overrides", "a mapping of path to value, or 'PATH=VALUE' strings", overrides)
    parsed: list[Override] = []
    if isinstance(overrides, Mapping):
        for number, (path, value) in enumerate(overrides.items(), start=before + 1):
            origin = Position(OVERRIDE_ORIGIN, number, 1)
            if not isinstance(path, str) or not path or any(not part for part in path.split(".")):
                raise InputError([Problem(origin, str(path), "expected a dotted path without empty parts")])
            if isinstance(value, str):
                parsed.append(make_override(path, value.strip(), origin))
            else:
                _check_size(path, value)
                parsed.append(Override(path, "set", value, origin, repr(value)))
        return parsed
    for number, text in enumerate(overrides, start=before + 1):
        if not isinstance(text, str):
            raise InputError([Problem(Position(OVERRIDE_ORIGIN, number, 1), "",
                                      f"expected 'PATH=VALUE' or a mapping of path to value, found {text!r}")])
        parsed.append(parse_override(text, number, option=OVERRIDE_ORIGIN))
    return parsed
