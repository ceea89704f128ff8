"""planner at scale, against HiGHS's own floor and a linopy peer, each measured in a fresh process.

    python bench/bench_scale.py                       # every size (the largest takes many minutes)
    python bench/bench_scale.py --sizes ohio,60x20x20 # a few sizes
    python bench/bench_scale.py --readme              # also write the table into bench/README.md

Sizes are `ohio` (sites/ohio.yaml), `meta` (sites/meta-fleet.yaml) or `SITESxACCELERATORSxQUARTERS`, a plan from
`plan generate` with seed 1. Per size, three fresh processes:
- planner: load, build, hand-over, solve, read-back, verify, report (CSV and JSON; PDF for the shipped plans
  only with --pdf) as `plan optimize` runs them, and peak memory (ru_maxrss); it then writes the MPS;
- floor: HiGHS alone (highspy) on that MPS, with planner's options (threads, IPM above 50k columns);
- peer: the same LP built with linopy (bench/linopy_model.py), handed to HiGHS, solved, read back.
`overhead / floor` is (total - solve) / floor: everything planner does that is not HiGHS's own run, in units
of that run. The goal (issue 6) at 300 x 20 x 20: <= 0.25 of the floor, <= 3 us per nonzero, <= 600 MB.

Not run by CI: speed is measured here, never by timed tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
SHIPPED = {"ohio": REPO / "sites" / "ohio.yaml", "meta": REPO / "sites" / "meta-fleet.yaml"}
DEFAULT_SIZES = "ohio,meta,10x8x12,60x20x20,300x20x20,1000x20x12"
SEED = 1
IPM_FROM_COLUMNS = 50_000  # planner.model.solve.IPM_FROM_COLUMNS (not imported: this process stays light)
PLANNER_STAGES = ("load", "build", "hand_over", "solve", "read_back", "verify", "report")
PEER_STAGES = ("load", "build", "hand_over", "solve", "read_back")


# ---------------------------------------------------------------- measurements (each in its own process)

def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_planner(plan_path: Path, mps_path: Path, threads: int, pdf: bool) -> dict[str, Any]:
    """`plan optimize PLAN --out TMP --continuous --no-risks [--no-report]`, stage by stage, then write the
    MPS (not timed)."""
    started = time.perf_counter()
    from planner.answers.run import Options, optimize, write_mps  # noqa: PLC0415
    from planner.inputs.resolve import read_plan  # noqa: PLC0415

    imports = time.perf_counter() - started
    started = time.perf_counter()
    loaded = read_plan(plan_path)
    load = time.perf_counter() - started
    # The LP (the peer solves one), and no risk sweep (some 37 more solves of it): what
    # `plan optimize PLAN --continuous --no-risks --no-report` does.
    options = Options(threads=threads, charts=pdf, integer=False, risks=False)
    started = time.perf_counter()
    run = optimize(loaded, options)
    optimize_s = time.perf_counter() - started
    s = run.seconds
    started = time.perf_counter()
    # Imported here, as `plan optimize` does: the report's modules load pandas, which the solve does
    # not (planner.answers.run), so that it never adds to HiGHS's run.
    from planner.reports.report import write_report  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        write_report(run, Path(folder) / "out")
    write_s = time.perf_counter() - started
    peak = _peak_mb()
    # read_back runs from the end of HiGHS's run to the duals by name (planner.model.solve.solve)
    accounted = s["build"] + sum(s.get(stage, 0.0) for stage in ("hand_over", "solver", "read_back", "verify"))
    stages = {
        "load": load,
        "build": s["build"],
        "hand_over": s.get("hand_over", 0.0),
        "solve": s.get("solver", 0.0),
        # the answer read back as arrays, then the duals by row name
        "read_back": s.get("read_back", 0.0),
        "verify": s.get("verify", 0.0),
        # prices, ranging, tables (the rest of optimize) and writing the files
        "report": optimize_s - accounted + write_s,
    }
    rows, columns = run.model.shape
    nonzeros = int((run.model.linear_program.row_values != 0).sum())
    started = time.perf_counter()
    write_mps(run.model, mps_path)
    return {
        "status": str(run.result.status), "objective": run.result.objective_value, "rows": rows,
        "columns": columns, "nonzeros": nonzeros, "stages": stages, "imports": imports, "peak_mb": peak,
        "detail": {k: round(v, 4) for k, v in s.items()}, "write_mps": time.perf_counter() - started,
    }


def measure_floor(mps_path: Path, threads: int) -> dict[str, Any]:
    """HiGHS alone on the MPS file, with the options planner gives it."""
    import highspy  # noqa: PLC0415

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    started = time.perf_counter()
    highs.readModel(str(mps_path))
    read = time.perf_counter() - started
    columns = highs.getNumCol()
    highs.setOptionValue("threads", threads)
    if columns >= IPM_FROM_COLUMNS:
        highs.setOptionValue("solver", "ipm")
    started = time.perf_counter()
    highs.run()
    run = time.perf_counter() - started
    return {"status": highs.modelStatusToString(highs.getModelStatus()),
            "objective": highs.getInfo().objective_function_value, "read": read, "solve": run,
            "peak_mb": _peak_mb()}


def measure_peer(plan_path: Path, threads: int) -> dict[str, Any]:
    """The same LP built with linopy, handed to HiGHS directly, solved and read back."""
    started = time.perf_counter()
    import linopy  # noqa: PLC0415

    sys.path.insert(0, str(BENCH))
    from linopy_model import build_linopy  # noqa: PLC0415

    from planner.inputs.resolve import read_plan  # noqa: PLC0415

    imports = time.perf_counter() - started
    started = time.perf_counter()
    plan = read_plan(plan_path).plan
    load = time.perf_counter() - started
    started = time.perf_counter()
    model = build_linopy(plan)
    build = time.perf_counter() - started
    columns = int(model.nvars)
    options: dict[str, Any] = {"threads": threads, "output_flag": False}
    if columns >= IPM_FROM_COLUMNS:
        options["solver"] = "ipm"
    started = time.perf_counter()
    solver = linopy.solvers.Solver.from_name("highs", model=model, io_api="direct", options=options)
    hand_over = time.perf_counter() - started
    started = time.perf_counter()
    result = solver.solve()
    solve_and_extract = time.perf_counter() - started
    run = float(solver.solver_model.getRunTime())
    started = time.perf_counter()
    model.assign_result(result)
    assign = time.perf_counter() - started
    stages = {"load": load, "build": build, "hand_over": hand_over, "solve": run,
              "read_back": solve_and_extract - run + assign}
    return {"status": str(result.status.termination_condition), "objective": float(model.objective.value),
            "columns": columns, "rows": int(model.ncons), "stages": stages, "imports": imports,
            "peak_mb": _peak_mb()}


# ---------------------------------------------------------------- driver

def _child(kind: str, *args: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", kind, *args],
                          capture_output=True, text=True, check=False, cwd=REPO)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def plan_file(size: str, folder: Path) -> Path:
    if size in SHIPPED:
        return SHIPPED[size]
    match = re.fullmatch(r"(\d+)x(\d+)x(\d+)", size)
    if match is None:
        raise SystemExit(f"unknown size '{size}': expected ohio, meta or SITESxACCELERATORSxQUARTERS")
    path = folder / f"gen-{size}-seed{SEED}.yaml"
    if not path.exists():
        sites, accelerators, quarters = match.groups()
        subprocess.run([sys.executable, "-m", "planner.cli", "generate", "--sites", sites, "--accelerators",
                        accelerators, "--quarters", quarters, "--seed", str(SEED), "--out", str(path)],
                       check=True, capture_output=True, cwd=REPO)
    return path


def machine() -> str:
    cpu = "unknown CPU"
    with Path("/proc/cpuinfo").open() as stream:
        for line in stream:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with Path("/proc/meminfo").open() as stream:
        ram_gb = int(stream.readline().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores (nproc), {cpu}, {ram_gb:.0f} GB RAM, Python {platform.python_version()}"


def run_size(size: str, folder: Path, threads: int, peer: bool, pdf: bool) -> dict[str, Any]:
    path = plan_file(size, folder)
    mps = folder / f"{size}.mps"
    planner, planner_wall = _child("planner", str(path), str(mps), str(threads), str(int(pdf)))
    floor, _ = _child("floor", str(mps), str(threads))
    row: dict[str, Any] = {"size": size, "planner": planner, "planner_wall": planner_wall, "floor": floor}
    if peer:
        row["peer"], row["peer_wall"] = _child("peer", str(path), str(threads))
    return row


def _total(stages: dict[str, float]) -> float:
    return sum(stages.values())


def summarise(row: dict[str, Any]) -> dict[str, Any]:
    p, floor = row["planner"], row["floor"]["solve"]
    total = _total(p["stages"])
    overhead = total - p["stages"]["solve"]
    out = {"size": row["size"], "shape": f"{p['rows']:,} x {p['columns']:,}, {p['nonzeros']:,} nz",
           **{k: p["stages"][k] for k in PLANNER_STAGES}, "total": total, "wall": row["planner_wall"],
           "peak_mb": p["peak_mb"], "floor": floor, "ratio": overhead / floor if floor > 0 else float("nan"),
           "us_per_nz": overhead / max(1, p["nonzeros"]) * 1e6,
           "objective_gap": abs(p["objective"] - row["floor"]["objective"]) / max(1.0, abs(p["objective"]))}
    if "peer" in row:
        q = row["peer"]
        peer_total = _total(q["stages"])
        out["peer"] = {**{k: q["stages"][k] for k in PEER_STAGES}, "total": peer_total, "wall": row["peer_wall"],
                       "peak_mb": q["peak_mb"], "ratio": (peer_total - q["stages"]["solve"]) / floor if floor else 0,
                       "objective_gap": abs(q["objective"] - p["objective"]) / max(1.0, abs(p["objective"]))}
    return out


def table(summaries: list[dict[str, Any]]) -> str:
    head = ("| size | LP | who | load | build | hand-over | solve | read-back | verify | report | total | "
            "peak MB | floor (HiGHS alone) | (total - solve) / floor | us / nz |")
    lines = [head, "|" + "---|" * 15]
    for s in summaries:
        lines.append(
            f"| {s['size']} | {s['shape']} | planner | {s['load']:.2f} | {s['build']:.2f} | {s['hand_over']:.2f} | "
            f"{s['solve']:.2f} | {s['read_back']:.2f} | {s['verify']:.2f} | {s['report']:.2f} | {s['total']:.2f} | "
            f"{s['peak_mb']:.0f} | {s['floor']:.2f} | {s['ratio']:.2f} | {s['us_per_nz']:.2f} |")
        if "peer" in s:
            q = s["peer"]
            gap = "" if q["objective_gap"] <= 1e-6 else f" (objective off by {q['objective_gap']:.1e})"
            lines.append(
                f"| | | linopy{gap} | {q['load']:.2f} | {q['build']:.2f} | {q['hand_over']:.2f} | {q['solve']:.2f} | "
                f"{q['read_back']:.2f} | - | - | {q['total']:.2f} | {q['peak_mb']:.0f} | | {q['ratio']:.2f} | |")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = BENCH / "README.md"
    begin, end = "<!-- bench_scale:begin -->", "<!-- bench_scale:end -->"
    current = readme.read_text(encoding="utf-8") if readme.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin not in current:
        current += f"\n{begin}\n{end}\n"
    head, rest = current.split(begin, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{begin}\n{text}\n{end}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES)
    parser.add_argument("--threads", type=int, default=1, help="HiGHS threads (planner's default is 1)")
    parser.add_argument("--no-peer", action="store_true", help="skip the linopy peer")
    parser.add_argument("--pdf", action="store_true", help="also render the charts and report.pdf")
    parser.add_argument("--readme", action="store_true", help="write the table into bench/README.md")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "planner-bench",
                        help="folder for generated plans and MPS files")
    parser.add_argument("--json", type=Path, help="also write every figure measured here")
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, *rest = args.measure
        if kind == "planner":
            result = measure_planner(Path(rest[0]), Path(rest[1]), int(rest[2]), bool(int(rest[3])))
        elif kind == "floor":
            result = measure_floor(Path(rest[0]), int(rest[1]))
        else:
            result = measure_peer(Path(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    rows, summaries = [], []
    for size in args.sizes.split(","):
        row = run_size(size, args.cache, args.threads, not args.no_peer, args.pdf)
        rows.append(row)
        summaries.append(summarise(row))
        print(f"{size}: total {summaries[-1]['total']:.2f} s, floor {summaries[-1]['floor']:.2f} s",
              file=sys.stderr, flush=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    text = (f"Measured {stamp} on {machine()}; HiGHS threads={args.threads}; seconds unless marked.\n\n"
            f"{table(summaries)}\n")
    print(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    if args.readme:
        write_readme(text)


if __name__ == "__main__":
    main()
