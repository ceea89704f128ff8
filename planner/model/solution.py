"""A solved model's column values, by DESIGN's indices: what every later stage reads of a solve."""

from __future__ import annotations

from dataclasses import dataclass, field

NewKey = tuple[int, int, str, int]
"""(site, hall, accelerator, quarter) positions of `new` and `inst`."""


@dataclass(frozen=True)
class Solution:
    """Variable values by DESIGN's indices; plain floats, so it can cross processes."""

    new: dict[NewKey, float] = field(default_factory=dict)
    """Units of c installed in hall h of site s in quarter t, keyed (s, h, c, t)."""
    mod: dict[tuple[int, int, int], float] = field(default_factory=dict)
    """Hall modules started, keyed (s, h, t)."""
    gen: dict[tuple[int, int, int], float] = field(default_factory=dict)
    """MW of generation built, keyed (s, g, t)."""
    disp: dict[tuple[int, int, int], float] = field(default_factory=dict)
    """Facility MW drawn from source g, keyed (s, g, t)."""
    lease: dict[tuple[int, int], float] = field(default_factory=dict)
    """Accelerators leased from cloud offer k, keyed (k, t)."""
    train: dict[tuple[str, int], float] = field(default_factory=dict)
    """Accelerators of c (availability-weighted) assigned to training, keyed (c, t)."""
    infer: dict[tuple[str, int], float] = field(default_factory=dict)
    ctrain: dict[tuple[int, str, int], float] = field(default_factory=dict)
    """Accelerators of c at location l (a site, then a cloud offer) training in quarter t,
    keyed (l, c, t): only where the plan needs training clusters."""
    retire: dict[tuple[int, int, int, int], float] = field(default_factory=dict)
    """Units of installed lot i of hall h at site s retired early at the start of quarter t,
    keyed (s, h, i, t); the rest of a lot serves to the end of its life."""
    use: dict[tuple[str, int], float] = field(default_factory=dict)
    """Whether a software stack adopted by choice is in use (1) or not (0), keyed (ecosystem,
    calendar year); a stack in use from the start, or free, has no entry."""
