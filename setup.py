"""Build step: ship the example plans and the schemas inside the package.

The repository keeps them at the top (`sites/`, `schemas/`), where the README, the tests and the
`$schema` comments of the YAML point. A wheel copies them into `planner/examples/` and
`planner/schemas/` (setuptools' package-data cannot reach outside the package folder), so that
`plan example NAME DIR` works without a clone. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = {"sites": ("examples", "**/*.yaml"), "schemas": ("schemas", "*.schema.json")}
"""Top-level folder -> (its folder inside the package, the files it ships)."""


class BuildWithExamples(build_py):  # type: ignore[misc]
    """setuptools' build_py, then the example plans and schemas copied into the built package."""

    def run(self) -> None:
        super().run()
        for source, (target, pattern) in SHIPPED.items():
            for path in sorted((HERE / source).glob(pattern)):
                destination = Path(self.build_lib) / "planner" / target / path.relative_to(HERE / source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)


setup(cmdclass={"build_py": BuildWithExamples})
