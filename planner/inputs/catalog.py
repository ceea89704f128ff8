"""The accelerator catalog: the built-in one (package data), extended or replaced by files."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from planner.inputs.loading import Document, load_file
from planner.inputs.schema import LIQUID_SHARE_ESTIMATE, UTILISATION_ESTIMATE, Accelerator, CatalogFile
from planner.inputs.validation import validate


def builtin_catalog_path() -> Path:
    """Where the shipped catalog lies (inside the installed package)."""
    return Path(str(resources.files("planner") / "data" / "catalog.yaml"))


def read_catalog_file(path: Path) -> tuple[CatalogFile, Document]:
    """Load and validate one catalog file."""
    document = load_file(path)
    return validate(CatalogFile, document), document


@dataclass(frozen=True)
class Catalog:
    """The catalog a plan is resolved against: its entries, the files they came from, and its date."""

    accelerators: dict[str, Accelerator]
    """By id, in file order."""
    files: list[Path]
    as_of: str | None = None
    """The `as_of` of the last file read that gives one (`--catalog` over the built-in one)."""


def read_catalog(extra: Path | None = None) -> Catalog:
    """The catalog: built-in, then `extra` (mode `extend` or `replace`)."""
    accelerators: dict[str, Accelerator] = {}
    files: list[Path] = []
    as_of = None
    override = None
    if extra is not None:
        override, override_document = read_catalog_file(extra)
    if override is None or override.mode == "extend":
        builtin, builtin_document = read_catalog_file(builtin_catalog_path())
        files += builtin_document.files
        accelerators.update({entry.id: entry for entry in builtin.accelerators})
        as_of = builtin.as_of
    if override is not None:
        files += override_document.files
        accelerators.update({entry.id: entry for entry in override.accelerators})
        as_of = override.as_of or as_of
    return Catalog(accelerators, files, as_of)


def load_catalog(extra: Path | None = None) -> tuple[dict[str, Accelerator], list[Path]]:
    """The catalog by id: built-in, then `extra` (mode `extend` or `replace`).

    Returns:
        The accelerators by id, in file order, and the files they were read from.
    """
    catalog = read_catalog(extra)
    return catalog.accelerators, catalog.files


def as_used(entry: Accelerator) -> dict[str, Any]:
    """A catalog entry as JSON, with the defaults the model applies written out (utilisation,
    family, liquid share), so a script reads what a plan uses."""
    data = entry.model_dump(mode="json")
    if entry.utilisation is None:
        data["utilisation"] = UTILISATION_ESTIMATE
    if entry.family is None:
        data["family"] = entry.id
    if entry.liquid_share is None:
        data["liquid_share"] = LIQUID_SHARE_ESTIMATE if entry.cooling == "liquid" else 0.0
    return data
