"""Issue 17, as properties: whatever stands where planner reads or writes, it ends cleanly.

- Includes that name anything (a FIFO, a folder, a link loop, a device, odd text): a plan, or an
  InputError whose every problem has a position and words; never another exception, never a wait.
- A report folder holding anything (files under report names that planner did or did not write,
  links, folders, FIFOs): exit 0 with a manifest that agrees and every file planner did not write
  untouched, or exit 2 with the folder exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import InputError
from planner.inputs.resolve import read_plan
from tests.conftest import DATA, SMALL_CATALOG

runner = CliRunner()
PLAN = DATA / "one-quarter.yaml"
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SPECIAL_TARGETS = ["fifo.yaml", "folder", "loop.yaml", "dangling.yaml", "device.yaml", "missing.yaml", "site.yaml",
                   "sub/site.yaml", "x" * 300, "x" * 5000, "a\x00b", os.fsdecode(b"caf\xe9.yaml"), "/etc/hostname",
                   "../plan.yaml", "sub/../site.yaml", ".", "", " "]
include_targets = st.one_of(st.sampled_from(SPECIAL_TARGETS), st.text(max_size=30))


@contextlib.contextmanager
def fresh_folder() -> Iterator[Path]:
    """A new folder per example (hypothesis runs every example in the same test's tmp_path)."""
    folder = Path(tempfile.mkdtemp(prefix="planner-hostile-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _site_entry() -> str:
    site = PLAN.read_text().split("sites:\n", 1)[1].split("budget:", 1)[0]
    return "\n".join(line[4:] for line in site.splitlines()) + "\n"


def _plan_folder(folder: Path) -> None:
    (folder / "sub").mkdir()
    (folder / "folder").mkdir()
    (folder / "site.yaml").write_text(_site_entry())
    (folder / "sub" / "site.yaml").write_text(_site_entry())
    os.mkfifo(folder / "fifo.yaml")
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    (folder / "dangling.yaml").symlink_to(folder / "nowhere.yaml")
    (folder / "device.yaml").symlink_to("/dev/zero")


@SETTINGS
@given(target=include_targets)
def test_any_include_target_gives_a_plan_or_a_positioned_error(target):
    with fresh_folder() as folder:
        _plan_folder(folder)
        site = PLAN.read_text().split("sites:\n", 1)[1].split("budget:", 1)[0]
        text = PLAN.read_text().replace("sites:\n" + site, f"sites:\n  - include: {json.dumps(target)}\n")
        path = folder / "plan.yaml"
        path.write_text(text)
        started = time.perf_counter()
        problems = []
        try:
            read_plan(path, SMALL_CATALOG)
        except InputError as error:
            problems = error.problems or [None]
        for problem in problems:
            assert problem is not None
            assert problem.message
            assert problem.position is not None, problem
            str(problem).encode("utf-8")  # printable under a strict UTF-8 locale
        assert time.perf_counter() - started < 10


REPORT_NAMES = ["summary.json", "allocation.csv", "sites.csv", "report.pdf", "chip_mix.png", "notes.txt",
                ".planner-owned", "diagnosis.json"]
KINDS = ["user file", "link to a victim", "folder", "fifo", "link to a device"]
entries = st.lists(st.tuples(st.sampled_from(REPORT_NAMES), st.sampled_from(KINDS)), max_size=4,
                   unique_by=lambda entry: entry[0])


def _make(folder: Path, name: str, kind: str, victim: Path) -> None:
    path = folder / name
    if path.exists() or path.is_symlink():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if kind == "user file":
        path.write_text(f"the user's own {name}")
    elif kind == "link to a victim":
        path.symlink_to(victim)
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/null")


def _state(folder: Path) -> dict[str, str]:
    """Every entry by name: its kind and, for a regular file, its hash (temporaries left out)."""
    state = {}
    for path in folder.iterdir():
        if path.name.startswith(".planner-tmp-"):
            continue
        if path.is_symlink():
            state[path.name] = f"link to {path.readlink()}"
        elif path.is_file():
            state[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[path.name] = "folder" if path.is_dir() else "other"
    return state


@SETTINGS
@given(previous_report=st.booleans(), hostile=entries)
def test_any_report_folder_is_written_truly_or_left_as_it_was(previous_report, hostile):
    with fresh_folder() as folder:
        out = folder / "report"
        victim = folder / "victim.txt"
        victim.write_text("keep me")
        arguments = ["optimize", str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(out), "--no-report", "-q"]
        if previous_report:
            assert runner.invoke(app, arguments).exit_code == 0
        out.mkdir(exist_ok=True)
        for name, kind in hostile:
            _make(out, name, kind, victim)
        before = _state(out)
        result = runner.invoke(app, arguments)
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        assert victim.read_text() == "keep me"
        after = _state(out)
        if result.exit_code == 2:
            assert after == before
            return
        summary = json.loads((out / "summary.json").read_text())
        for name, digest in summary["outputs"].items():
            assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
        for name, _ in hostile:  # what planner did not write is still there, as it was
            assert after.get(name) == before[name], name
