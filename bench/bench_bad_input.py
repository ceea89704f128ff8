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

from planner.inputs.loading import MAX_VALUES  # noqa: E402
from tests.conftest import SMALL_CATALOG  # noqa: E402
from tests.inputs.dense import UNITS, dense_file, dense_file_of_size  # noqa: E402
from tests.inputs.test_bad_input_corpus import CORPUS, GOOD  # noqa: E402

SITES_AT_THE_CAP = 1_587
"""Sites of 63 values each (11 invalid halls): with the file's other 9, 99,990 values, just under `MAX_VALUES`."""
AT_THE_CAP = {
    f"{SITES_AT_THE_CAP:,} sites of invalid halls (99,990 values)": (
        (GOOD.split("sites:")[0] + "sites:\n" + ("  - {id: s, pue: -1, halls: ["
                                                 + ",".join(["{id: h, kind: bad, max_rack_kw: -5, zz: 1}"] * 11)
                                                 + "], power_sources: [{id: p, kind: nope}]}\n") * SITES_AT_THE_CAP
         ).encode(), "sites[0]"),
    **{f"{shape}, {shape_mb} MB{' block' if block else ''}": (
        dense_file_of_size(shape, shape_mb * 1_000_000, block=block), "")
       for shape in UNITS for shape_mb in (1, 4, 31) for block in (False, True)
       if not (block and shape == "empty lists")},
    "one-character scalars at the cap (100,000 values)": (dense_file("one-character scalars", MAX_VALUES), ""),
    "one-character scalars, one value past the cap": (dense_file("one-character scalars", MAX_VALUES + 1), ""),
    "tiny mappings at the cap (100,000 values)": (dense_file("tiny mappings", MAX_VALUES), ""),
    "tiny mappings, one value past the cap": (dense_file("tiny mappings", MAX_VALUES + 1), ""),
}
"""Beyond the corpus (too slow for the suite under tracemalloc): the worst a file can cost and still be
read, just under `MAX_VALUES`, dense flow style (10 bytes a value), every value wrong; dense files at the
cap (read whole, refused by the schema) and of 1 to 31 MB (refused by a count before they are read)."""

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
    print(f"{'case':45} {'exit':>4} {'MB':>6} {'seconds':>8} {'s/MB':>6} {'peak MB':>8}")
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
        size_mb = len(content) / 1e6
        print(f"{case[:45]:45} {done.returncode:>4} {size_mb:>6.2f} {seconds:>8.3f} "
              f"{seconds / max(size_mb, 1e-3):>6.2f} {peak_mb:>8.0f}{'' if ok else '  <- goal missed'}")
    print(f"\n{len(CORPUS) + len(AT_THE_CAP)} cases, worst {worst_s:.3f} s and {worst_mb:.0f} MB (peak RSS of a case), "
          f"{failures} missed the goal")


if __name__ == "__main__":
    main()
