"""Time and measure every case of the bad-input corpus in a fresh process, as a user runs it.

    python bench/bench_bad_input.py

Goal (issue 7): each refused with exit 2 in under a second and under 200 MB, start-up included.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import SMALL_CATALOG  # noqa: E402
from tests.inputs.test_bad_input_corpus import CORPUS, GOOD  # noqa: E402

AT_THE_CAP = {
    "2,000 sites of invalid halls (196,000 values)": (
        (GOOD.split("sites:")[0] + "sites:\n" + ("  - {id: s, pue: -1, halls: ["
                                                 + ",".join(["{id: h, kind: bad, max_rack_kw: -5, zz: 1}"] * 11)
                                                 + "], power_sources: [{id: p, kind: nope}]}\n") * 2000).encode(),
        "sites[0]"),
}
"""Beyond the corpus (too slow for the suite under tracemalloc): the worst a file can cost and still be
read, just under `MAX_VALUES`, dense flow style (5.5 bytes a value), every value wrong."""

MEASURED = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""
"""Runs the command given and prints its peak RSS (kB): a fresh parent per case, so one case's peak
is not the maximum over every case before it (RUSAGE_CHILDREN only grows). Its own start-up counts
in `seconds` (about 20 ms)."""


def main() -> None:
    worst_s, worst_mb, failures = 0.0, 0.0, 0
    print(f"{'case':45} {'exit':>4} {'seconds':>8} {'peak MB':>8}")
    for case, (content, _) in {**CORPUS, **AT_THE_CAP}.items():
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "plan.yaml"
            path.write_bytes(content)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", MEASURED, sys.executable, "-m", "planner.cli", "optimize",
                                   str(path), "--catalog", str(SMALL_CATALOG), "--out", str(Path(folder) / "out")],
                                  capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - started
            peak_mb = int(done.stdout.strip().splitlines()[-1]) / 1024
        ok = done.returncode == 2 and "Traceback" not in done.stderr and seconds < 1.0 and peak_mb < 200
        failures += not ok
        worst_s, worst_mb = max(worst_s, seconds), max(worst_mb, peak_mb)
        print(f"{case[:45]:45} {done.returncode:>4} {seconds:>8.3f} {peak_mb:>8.0f}{'' if ok else '  <- goal missed'}")
    print(f"\n{len(CORPUS) + len(AT_THE_CAP)} cases, worst {worst_s:.3f} s and {worst_mb:.0f} MB (peak RSS of a case), "
          f"{failures} missed the goal")


if __name__ == "__main__":
    main()
