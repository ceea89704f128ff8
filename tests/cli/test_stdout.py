"""What scripts read from `plan`: stdout carries only what planner prints, in every process.

Each command runs in a fresh process with real file descriptors (a test runner's captured
`sys.stdout` would hide what native code writes to descriptor 1, which is where highspy >= 1.16
prints HiGHS's banner).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO, SMALL_CATALOG

ONE_QUARTER = DATA / "one-quarter.yaml"
FOREIGN = ("HiGHS", "Running", "Copyright", "THIRD_PARTY")
"""Words of HiGHS's banner and log; planner's own stdout names its solver only in the summary."""


def plan(*args: str | Path, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    """`plan ARGS` in a fresh process, from the repository, stdout and stderr kept apart."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "PLANNER_SOLVER_LOG")}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(  # noqa: S603 - our own module, our own arguments
        [sys.executable, "-m", "planner", *map(str, args)], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )


def no_foreign_text(stdout: str) -> None:
    for word in FOREIGN:
        assert word not in stdout, f"{word!r} on stdout:\n{stdout}"


def test_fit_json_parses_and_sizes_a_lease_only_part() -> None:
    """tpu-ironwood is lease only (no unit price). Sizing by power needs no price:
    a 64-chip rack draws 100 kW IT, 107 kW with the default fabric share (0.07), 128.4 kW at the
    default design PUE 1.2; 10 MW / 128.4 kW = 77.9, so 77 whole racks, 77 x 64 = 4,928 chips.
    No cost is claimed for a part that cannot be bought."""
    result = plan("fit", "--power", "10MW", "--accelerator", "tpu-ironwood", "--json")
    assert result.returncode == 0, result.stderr
    fitted = json.loads(result.stdout)
    assert fitted["units"] == 77
    assert fitted["accelerators"] == 4928
    assert fitted["limit"] == "power"
    assert fitted["capex_usd"] is None


def test_fit_of_a_lease_only_part_with_a_budget_names_the_option() -> None:
    result = plan("fit", "--power", "10MW", "--accelerator", "tpu-ironwood", "--budget", "$1B")
    assert result.returncode == 2
    assert "--budget" in result.stderr
    assert "lease only" in result.stderr
    assert result.stdout == ""


def test_catalog_json_parses() -> None:
    result = plan("catalog", "--json")
    assert result.returncode == 0, result.stderr
    ids = [entry["id"] for entry in json.loads(result.stdout)]
    assert "tpu-ironwood" in ids
    assert "vera-rubin-nvl144" in ids


@functools.cache
def catalog_ids() -> tuple[str, ...]:
    """The catalog's ids, as `plan catalog --json` lists them (asked once)."""
    return tuple(entry["id"] for entry in json.loads(plan("catalog", "--json").stdout))


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_catalog_shows_every_id_whole_at_any_width(columns: int) -> None:
    ids = list(catalog_ids())
    result = plan("catalog", columns=columns)
    assert result.returncode == 0, result.stderr
    first_cells = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert [cell for cell in first_cells if cell] == ids
    assert max(len(line) for line in result.stdout.splitlines()) <= columns
    assert "…" not in result.stdout
    if columns < 200:
        assert f"Not shown at {columns} columns:" in result.stdout


def test_optimize_quiet_prints_exactly_the_report_folder(tmp_path: Path) -> None:
    """With every report (the chart process too), -q prints one line: the folder."""
    out = tmp_path / "report"
    result = plan("optimize", ONE_QUARTER, "--catalog", SMALL_CATALOG, "--out", out, "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}\n"
    assert (out / "report.pdf").is_file()


def test_sweep_with_two_workers_prints_only_its_folder(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = plan("sweep", ONE_QUARTER, "--catalog", SMALL_CATALOG, "--set-range", "budget.2026.limit_usd=$0.2B:$1B:4",
                  "--workers", "2", "--no-charts", "--out", out, "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}\n"
    no_foreign_text(result.stderr)


@pytest.mark.parametrize("command", [
    ("optimize", "--no-report"), ("explain",), ("whatif", "--set", "budget.2026.limit_usd=$0.5B", "--no-charts"),
])
def test_solving_commands_print_no_solver_banner(tmp_path: Path, command: tuple[str, ...]) -> None:
    extra = ("--out", str(tmp_path / "out")) if command[0] != "explain" else ()
    result = plan(command[0], ONE_QUARTER, "--catalog", SMALL_CATALOG, *command[1:], *extra)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    no_foreign_text(result.stdout.replace("(HiGHS ", "(solver "))  # the summary names its solver on purpose
    no_foreign_text(result.stderr)


def test_solver_log_goes_to_stderr_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = plan("optimize", ONE_QUARTER, "--catalog", SMALL_CATALOG, "--out", out, "--no-report", "-q",
                  "--solver-log")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}\n"
    assert "HiGHS" in result.stderr
    assert "rows" in result.stderr  # the log itself, not only the banner


def test_version_and_help_defaults() -> None:
    from planner import __version__

    version = plan("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout == f"planner {__version__}\n"
    helped = plan("optimize", "--help", columns=200)
    assert "[default: reports/<plan name>/]" in helped.stdout


def test_native_writes_are_diverted_while_python_prints_reach_stdout() -> None:
    """Descriptor 1 goes to /dev/null (or stderr for a log holder) inside nested diversions, and
    comes back whole after them; print() reaches the real stdout throughout."""
    code = """
import os, sys
from planner.model.native_output import diverted_stdout
os.write(1, b"native-before\\n")
with diverted_stdout():
    os.write(1, b"native-hidden\\n")
    print("python-inside", flush=True)
    with diverted_stdout(log_to_stderr=True):
        os.write(1, b"native-log\\n")
    os.write(1, b"native-hidden-again\\n")
print("python-after", flush=True)
os.write(1, b"native-after\\n")
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,  # noqa: S603
                            check=True, timeout=60)
    assert result.stdout.splitlines() == ["native-before", "python-inside", "python-after", "native-after"]
    assert result.stderr.splitlines() == ["native-log"]


def test_a_fleet_power_table_has_a_row_per_site_and_fits_the_terminal(tmp_path):
    """Three sites or more: a row per site and one for all of them, the last quarter of each year
    across, within 100 columns (the sites-across layout wrapped at six sites)."""
    import yaml  # noqa: PLC0415

    from planner.inputs.generate import generate  # noqa: PLC0415

    path = tmp_path / "fleet.yaml"
    data = generate(12, 4, 12, 3)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = plan("optimize", path, "--out", tmp_path / "out", "--no-report", "--continuous", columns=100)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Peak draw"))
    table = lines[start:next(i for i in range(start, len(lines)) if lines[i].startswith("└")) + 1]
    assert all(len(line) <= 100 for line in table)
    for site in data["sites"]:
        assert any(line.startswith(f"│ {site['id']} ") for line in table), site["id"]
    assert any(line.startswith("│ all sites ") for line in table)
