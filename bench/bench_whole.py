"""Whole units against the LP on the shipped plans: solve time (best of N) and the gap.

    python bench/bench_whole.py [PLAN ...] [--repeat N]

For each plan: the LP's solve (`--continuous`), then the whole-unit search
(`planner.model.whole`), its method and its gap to the best bound. Figures in bench/README.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from planner.answers.run import load
from planner.model.build import build_model
from planner.model.solve import solve
from planner.options import Options

SHIPPED = ["sites/ohio.yaml", "sites/meta-fleet.yaml", "sites/louisiana.yaml"]


def best_of(path: Path, integer: bool, repeat: int) -> tuple[float, object]:
    loaded = load(path, None, Options())
    best, result = float("inf"), None
    for _ in range(repeat):
        model = build_model(loaded.plan, integer=integer)
        started = time.perf_counter()
        result = solve(model)
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plans", nargs="*", default=SHIPPED)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'plan':28} {'LP s':>7} {'whole s':>8} {'ratio':>6} {'gap':>8}  method")
    for plan in args.plans:
        lp_s, _ = best_of(Path(plan), False, args.repeat)
        whole_s, whole = best_of(Path(plan), True, args.repeat)
        gap = whole.gap  # type: ignore[attr-defined]
        print(f"{plan:28} {lp_s:7.3f} {whole_s:8.3f} {whole_s / lp_s:6.1f} {100 * gap:7.3f}%  "
              f"{whole.whole_method}")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
