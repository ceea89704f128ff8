"""LP rows described in the user's terms (no solver objects: reports read these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowInfo:
    """One LP row in the user's terms (slots: a 300-site plan has 158k of them)."""

    name: str
    family: str
    key: str
    period: str
    sense: str
    """`<=`, `>=` or `==`."""
    rhs: float
