"""Every threshold that decides whether a number is zero, a limit binds, a plan holds or a value
changed: declared once, each with the unit it is in. Used by every stage; imports nothing.
"""

from __future__ import annotations

SOLVER_NOISE = 1e-9
"""A solved quantity (units, modules, MW, accelerators, USD) at or below this, in its own unit,
is the solver's round-off (-1e-12 units), read as zero: no report shows "-0.0 units"."""

BINDING_SLACK = 1e-6
"""A limit binds (and an elastic slack counts as a shortfall) when its slack is at most this
times max(1, |rhs|), in the limit's own unit."""

VERIFY_ABSOLUTE = 1e-6
VERIFY_RELATIVE = 1e-9
"""A limit holds on re-check when `lhs - rhs <= VERIFY_ABSOLUTE + VERIFY_RELATIVE x |rhs|`, in the
limit's own unit (DESIGN.md's tolerance)."""

VERIFY_INTEGER = 1e-6
"""Units or modules above this count as bought or built, in the verifier's structural checks."""

STEP_VALUE_NOISE = 1.0
"""Worth of one step (PFLOPS-quarters under max-compute, USD under min-cost) below this is within
the max-compute tie-break's own scale ($1B = 1 PFLOPS-quarter): it says nothing and is not ranked."""

RELATIVE_CHANGE_NOISE = 1e-9
"""Relative differences between two runs below this are round-off: reported as no change."""
