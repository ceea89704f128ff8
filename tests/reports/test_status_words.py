"""How the status line and page 1 name a whole plan's gap (`planner.fmt.whole_units_words`)."""

from __future__ import annotations

from planner import fmt


def solver(gap: float | None, target: float | None) -> dict[str, object]:
    return {"integer": True, "gap": gap, "target_gap": target, "whole_method": "rounded and repaired"}


def test_a_plan_within_its_target_gives_its_gap_alone():
    """0.066% of the bound, target 0.1% (Ohio): within it, so the target goes unsaid."""
    assert fmt.whole_units_words(solver(0.00066, 0.001)) == (
        "whole racks, modules and generation units, within 0.07% of the best bound (rounded and repaired)")


def test_a_plan_above_its_target_names_it():
    """0.0255% of the bound asked for 0.02% (`--gap 0.0002`): above it, named."""
    assert fmt.whole_units_words(solver(0.000255, 0.0002)) == (
        "whole racks, modules and generation units, within 0.03% of the best bound, above the 0.02% target"
        " (rounded and repaired)")


def test_the_lp_has_no_whole_units():
    assert fmt.whole_units_words({"integer": False}).startswith("fractional racks and modules")
