"""planner: datacenter power and cluster-capacity planning for AI infrastructure."""

from __future__ import annotations

import functools

DISTRIBUTION = "ai-capacity-planner"
"""planner's name on the package index (`pip install ai-capacity-planner`); `planner` there is another project."""


@functools.cache
def _version() -> str:
    # importlib.metadata costs ~40 ms: looked up only when a report asks, not at start-up.
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(name)
