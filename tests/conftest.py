"""Shared fixtures: small plans solved once per session, and plan files written per test."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from planner.inputs.plan import Plan

if TYPE_CHECKING:
    from planner.answers.outcome import RunResult

# pytest-xdist's workers run with COLUMNS=80 set; the suite reads output as a pipe gives it (no
# COLUMNS: `console.PIPED_WIDTH`) in every process, and tests of other widths set it themselves.
os.environ.pop("COLUMNS", None)

DATA = Path(__file__).parent / "data"
SMALL_CATALOG = DATA / "catalog-small.yaml"
REPO = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _no_risk_sweep(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """`plan optimize` weighs the inputs marked as estimates (some 30 solves of the LP relaxation, 2 s for
    Ohio) unless `--no-risks`: every test but those marked `risks` runs it without, through the option's
    environment variable (which the CLI in this process and a `plan` started by a test both read)."""
    if request.node.get_closest_marker("risks") is None:
        monkeypatch.setenv("PLANNER_NO_RISKS", "1")


@pytest.fixture
def write_plan(tmp_path: Path) -> Callable[..., Path]:
    """Write a plan (a dict, or YAML text) into a fresh folder and return its path."""

    def write(content: dict | str, name: str = "plan.yaml") -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@functools.cache
def shipped_run(name: str) -> RunResult:
    """sites/NAME.yaml solved as `plan optimize` solves it (whole units), without re-solving its step
    values: once per test process, for the tests that only read the plan. Do not change it."""
    from planner.answers.run import Options, load, optimize  # noqa: PLC0415

    options = Options(resolve_steps=False)
    return optimize(load(REPO / "sites" / f"{name}.yaml", None, options), options)


def base_plan(**overrides: object) -> dict:
    """The one-quarter plan of tests/data/one-quarter.yaml as a dict, with top-level overrides."""
    plan = yaml.safe_load((DATA / "one-quarter.yaml").read_text())
    plan.update(overrides)
    return plan


def as_lp(plan: Plan) -> Plan:
    """`plan` without its training clusters (their binaries): the LP, for tests that compare LP
    solvers, warm starts or bases (CBC takes minutes on the shipped plans' cluster MILP)."""
    return replace(plan, cluster_min_accelerators=0)


GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Write tests/golden/* anew from this code, instead of comparing with them.")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME (or, with --update-golden, write it there)."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, f"{name} changed: run pytest --update-golden if meant"

    return check


def _cbc_installed() -> bool:
    import pulp

    return bool(pulp.COIN_CMD().available())


needs_cbc = pytest.mark.skipif(not _cbc_installed(),
                               reason="CBC is not installed: pip install 'ai-capacity-planner[cbc]'")
"""For a test that solves with CBC: the `test` extra installs it; an install without it skips these."""


def process_group(pgid: int) -> list[int]:
    """The running processes (zombies left out) of process group `pgid`, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def wait_for_group(pgid: int, at_least: int, seconds: float = 60) -> int:
    """Wait until process group `pgid` has `at_least` running members (or `seconds` pass); their count."""
    deadline = time.monotonic() + seconds
    while len(process_group(pgid)) < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
    return len(process_group(pgid))


def kill_and_collect_group(process: subprocess.Popen[bytes], seconds: float = 10) -> list[int]:
    """SIGKILL `process` (a group leader), wait up to `seconds` for the rest of its group to end by
    itself, then SIGKILL what is left and return those pids (empty when all ended by themselves)."""
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + seconds
    while process_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = process_group(process.pid)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left
