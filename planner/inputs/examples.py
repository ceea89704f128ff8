"""The example plans that ship with planner, and what `plan example NAME DIR` copies out.

An installed wheel holds them in `planner/examples/` and `planner/schemas/` (setup.py copies the
repository's `sites/` and `schemas/` there at build time); a source checkout, installed editable
or not at all, reads the repository's own `sites/` and `schemas/`. Either way the files are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from os.path import relpath
from pathlib import Path, PurePosixPath

from planner.errors import InputError, Problem
from planner.inputs.loading import load_file

SCHEMA_COMMENT = re.compile(rb"^(# yaml-language-server: \$schema=)\S*?([a-z]+\.schema\.json)", re.MULTILINE)
"""The first line of a shipped YAML file: where an editor finds its JSON Schema."""


@dataclass(frozen=True)
class Example:
    """One example plan: its name (`ohio`), title and file."""

    name: str
    title: str
    path: Path


@dataclass(frozen=True)
class Copy:
    """One file `plan example` writes: its bytes and its path inside the target folder."""

    target: PurePosixPath
    data: bytes


def _shipped(package_folder: str, repository_folder: str) -> Path:
    """A folder of shipped files: inside the installed package, or else in the source checkout."""
    packaged = Path(str(resources.files("planner") / package_folder))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / repository_folder
    if checkout.is_dir():
        return checkout
    raise InputError([Problem(None, "", f"the example plans are missing from this installation (no {packaged}); "
                                        "reinstall planner from a wheel or sdist")])


def examples_folder() -> Path:
    """Where the example plans lie (`sites/` of the repository)."""
    return _shipped("examples", "sites")


def schemas_folder() -> Path:
    """Where the JSON Schemas of the files lie (`schemas/` of the repository)."""
    return _shipped("schemas", "schemas")


def examples() -> list[Example]:
    """The example plans: every plan at the top of `sites/` and in `sites/examples/`, by name."""
    root = examples_folder()
    found = []
    for path in sorted([*root.glob("*.yaml"), *(root / "examples").glob("*.yaml")], key=lambda p: p.stem):
        title = re.search(r"^title:\s*(.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
        found.append(Example(path.stem, title[1].strip() if title else "", path))
    return found


def example(name: str) -> Example:
    """The example called `name`.

    Raises:
        InputError: No example has that name (the message lists them).
    """
    known = {e.name: e for e in examples()}
    if name not in known:
        raise InputError([Problem(None, "NAME", f"expected one of {', '.join(known)}, found '{name}'")])
    return known[name]


def example_copies(name: str) -> list[Copy]:
    """What `plan example NAME DIR` writes into DIR: the plan as `NAME.yaml`, every file it includes
    (in the same folders relative to it), the scenario files made for it (`scenarios/NAME-*.yaml`,
    `scenarios/sweep-NAME-*.yaml`) and the JSON Schemas (`schemas/`), with each file's `$schema`
    comment pointing at the copied schema so editors still check it."""
    chosen = example(name)
    root = examples_folder()
    plan_folder = chosen.path.parent
    sources: list[tuple[Path, PurePosixPath]] = [
        (path, PurePosixPath(path.relative_to(plan_folder).as_posix())) for path in load_file(chosen.path).files
    ]
    scenarios = root / "scenarios"
    for pattern in (f"{name}-*.yaml", f"sweep-{name}-*.yaml"):
        sources += [(path, PurePosixPath("scenarios", path.name)) for path in sorted(scenarios.glob(pattern))]
    schemas = sorted(schemas_folder().glob("*.schema.json"))
    copies = [Copy(target, _schema_pointed(path.read_bytes(), target)) for path, target in sources]
    copies += [Copy(PurePosixPath("schemas", path.name), path.read_bytes()) for path in schemas]
    return copies


def _schema_pointed(data: bytes, target: PurePosixPath) -> bytes:
    """`data` with its `$schema` comment pointing at `schemas/` of the target folder."""
    to_schemas = relpath("schemas", target.parent.as_posix() or ".").replace("\\", "/")
    return SCHEMA_COMMENT.sub(lambda m: m[1] + f"{to_schemas}/".encode() + m[2], data, count=1)
