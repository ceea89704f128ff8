"""LP rows described in the user's terms (no solver objects: reports read these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowInfo:
    """One LP row in the user's terms."""

    name: str
    family: str
    key: str
    period: str
    sense: str
    """`<=`, `>=` or `==`."""
    rhs: float
