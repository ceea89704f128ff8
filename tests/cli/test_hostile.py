"""Issue 17: hostile input and faults. No traceback, no hang, nothing lost, no folder that lies.

Each family is fixed by one mechanism; these cases check the mechanism from outside:
- the input gate (`planner.inputs.gate`): FIFOs, devices, odd names and standard input;
- single files planner replaces (`planner.files`): never anything but a regular file;
- report folders (`planner.reports.destination`, `OutputFolder`): checked before any work,
  locked for the run, owned file by file, staged and put in place together;
- sweep workers that end with their parent.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from tests.conftest import DATA, SMALL_CATALOG, kill_and_collect_group, wait_for_group

runner = CliRunner()
PLAN = DATA / "one-quarter.yaml"
ROOT = os.geteuid() == 0
SECONDS = 20


def optimize(plan: Path | str, out: Path, *extra: str) -> object:
    return runner.invoke(app, ["optimize", str(plan), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                               "--no-report", *extra])


def assert_refused(result: object, *words: str) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 2, output  # type: ignore[attr-defined]
    assert "Traceback" not in output
    for word in words:
        assert word in output, output


def plan_copy(folder: Path, name: str = "plan.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(PLAN.read_bytes())
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def manifest_agrees(folder: Path) -> bool:
    summary = json.loads((folder / "summary.json").read_text())
    return all(hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
               for name, digest in summary["outputs"].items())


# --- The input gate ------------------------------------------------------------------------------


def _include(tmp_path: Path, target: str) -> Path:
    text = PLAN.read_text().replace("  - id: lab", f"  - include: {json.dumps(target)}\n  - id: lab", 1)
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("make", "words"), [
    (lambda tmp: os.mkfifo(tmp / "fifo") or tmp / "fifo", ["FIFO"]),
    (lambda tmp: Path("/dev/zero"), ["/dev/zero", "character device"]),
    (lambda tmp: tmp, ["found a folder"]),
    (lambda tmp: (tmp / "loop").symlink_to(tmp / "loop") or tmp / "loop", ["symbolic link loop"]),
    (lambda tmp: tmp / ("x" * 5000), ["at most 4,096 characters"]),
    (lambda tmp: tmp / "missing.yaml", ["no such file"]),
], ids=["fifo", "dev-zero", "folder", "symlink-loop", "5000-char-name", "missing"])
def test_a_plan_that_is_no_regular_file_is_refused_at_once(tmp_path, make, words):
    started = time.perf_counter()
    result = optimize(make(tmp_path), tmp_path / "out")
    assert_refused(result, *words)
    assert time.perf_counter() - started < SECONDS
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", ["--catalog", "--scenario"])
def test_a_catalog_or_scenario_that_is_a_device_or_fifo_is_refused(tmp_path, option):
    os.mkfifo(tmp_path / "fifo")
    for bad in ("/dev/zero", str(tmp_path / "fifo")):
        if option == "--catalog":
            result = runner.invoke(app, ["optimize", str(PLAN), "--catalog", bad, "--out", str(tmp_path / "o")])
        else:
            result = runner.invoke(app, ["whatif", str(PLAN), "--catalog", str(SMALL_CATALOG), "--scenario", bad,
                                         "--out", str(tmp_path / "o")])
        assert_refused(result, bad)


@pytest.mark.parametrize(("target", "words"), [
    ("a\x00b.yaml", ["sites[0].include", "NUL byte"]),
    ("x" * 5000, ["sites[0].include", "at most 4,096 characters"]),
    ("loop.yaml", ["sites[0].include", "symbolic link loop"]),
    ("fifo.yaml", ["sites[0].include", "FIFO"]),
    ("dev.yaml", ["sites[0].include", "leading outside it"]),
], ids=["nul", "5000-chars", "loop", "fifo", "device"])
def test_a_bad_include_name_is_a_positioned_error(tmp_path, target, words):
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "dev.yaml").symlink_to("/dev/zero")
    path = _include(tmp_path, target)
    result = optimize(path, tmp_path / "out")
    assert_refused(result, f"{path}:", *words)


@pytest.mark.skipif(ROOT, reason="root reads every file")
def test_a_plan_that_cannot_be_read_is_refused(tmp_path):
    path = plan_copy(tmp_path)
    path.chmod(0)
    assert_refused(optimize(path, tmp_path / "out"), "Permission denied")


def test_a_plan_from_standard_input_is_hashed_from_the_bytes_parsed(tmp_path):
    data = PLAN.read_bytes()
    process = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "planner.cli", "optimize", "/dev/stdin", "--catalog", str(SMALL_CATALOG),
         "--out", str(tmp_path / "out"), "--no-report", "-q"], input=data, capture_output=True, timeout=120,
        check=False)
    assert process.returncode == 0, process.stderr
    inputs = json.loads((tmp_path / "out" / "summary.json").read_text())["provenance"]["inputs"]
    assert inputs[0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_an_endless_standard_input_is_refused_past_the_size_limit(tmp_path):
    """`plan optimize - < /dev/zero` reads 32 MB and no more, then refuses (was: read until memory ran out)."""
    with Path("/dev/zero").open("rb") as endless:
        process = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "planner.cli", "validate", "-"], stdin=endless, capture_output=True, timeout=60,
            check=False)
    assert process.returncode == 2, process.stderr
    assert b"<stdin>:1:1: expected at most 32,000,000 bytes, found more" in process.stderr
    assert b"Traceback" not in process.stderr


@pytest.mark.parametrize(("arguments", "named"), [
    (["optimize", str(PLAN), "--out", ""], "--out"),
    (["optimize", str(PLAN), "--out="], "--out"),
    (["whatif", str(PLAN), "--scenario", ""], "--scenario"),
    (["example", "ohio", ""], "argument 3"),
], ids=["out", "out=", "scenario", "example-folder"])
def test_an_empty_argument_is_refused_not_read_as_the_current_folder(tmp_path, arguments, named):
    """`--out "$UNSET"` read '' as '.', and wrote the report into the folder the command ran in."""
    process = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "planner.cli", *arguments], cwd=tmp_path, capture_output=True, timeout=60, check=False)
    assert process.returncode == 2, process.stderr
    assert f"error: {named}: expected a file or folder name (or a value), found an empty argument".encode() in (
        process.stderr)
    assert b"Traceback" not in process.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_plan_piped_in_is_never_replaced_by_the_mps(tmp_path):
    """`plan optimize - --write-mps plan.yaml < plan.yaml`: the file behind standard input is an input."""
    plan = plan_copy(tmp_path)
    with plan.open("rb") as piped:
        process = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "planner.cli", "optimize", "-", "--catalog", str(SMALL_CATALOG), "--no-report",
             "--no-risks", "--out", str(tmp_path / "out"), "--write-mps", str(plan)], stdin=piped,
            capture_output=True, timeout=120, check=False)
    assert process.returncode == 2, process.stderr
    assert b"no input of this run" in process.stderr
    assert plan.read_bytes() == PLAN.read_bytes()


def test_includes_share_one_budget_of_values(tmp_path):
    """A 60,000-value file included twice would be 120,000 values: refused at the second, quickly,
    where each include once read the file again without limit (2,000 includes ran for minutes)."""
    (tmp_path / "big.yaml").write_text("".join(f"k{i}: [{', '.join(['1'] * 599)}]\n" for i in range(100)))
    text = PLAN.read_text() + "extra:\n" + "".join("  - include: big.yaml\n" for _ in range(2000))
    (tmp_path / "plan.yaml").write_text(text)
    started = time.perf_counter()
    result = runner.invoke(app, ["validate", str(tmp_path / "plan.yaml")])
    assert_refused(result, "big.yaml", "100,000 values", "the files it includes")
    assert time.perf_counter() - started < SECONDS


def test_separators_bound_a_file_and_its_values_are_counted(tmp_path):
    """250,000 commas in a comment are no values: the separators' count only bounds a file (at three a
    value), the reader counts the values themselves."""
    path = plan_copy(tmp_path)
    path.write_text(PLAN.read_text() + "# " + "," * 250_000 + "\n")
    assert runner.invoke(app, ["validate", str(path), "--catalog", str(SMALL_CATALOG)]).exit_code == 0


def test_a_set_value_that_is_not_utf8_is_refused(tmp_path):
    title = "title=" + os.fsdecode(b"x\xffy")
    result = runner.invoke(app, ["whatif", str(PLAN), "--catalog", str(SMALL_CATALOG), "--set", title,
                                 "--out", str(tmp_path / "o")])
    assert_refused(result, "--set:1:8: expected UTF-8 text, found '\\xff'")


def test_a_plan_whose_name_is_not_utf8_gets_its_whole_report(tmp_path):
    """The name is drawn and recorded with its odd byte escaped (`pl\\xe9.yaml`): the PDF once crashed on it."""
    folder = tmp_path / os.fsdecode(b"d\xe9")
    path = plan_copy(folder, os.fsdecode(b"pl\xe9.yaml"))
    result = runner.invoke(app, ["optimize", str(path), "--catalog", str(SMALL_CATALOG), "--out",
                                 str(tmp_path / "o"), "--no-risks"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "report.pdf").read_bytes().startswith(b"%PDF")
    inputs = json.loads((tmp_path / "o" / "summary.json").read_text())["provenance"]["inputs"]
    assert inputs[0]["path"].endswith("pl\\xe9.yaml")
    assert manifest_agrees(tmp_path / "o")


def test_a_name_that_is_not_utf8_is_printed_safely(tmp_path):
    folder = tmp_path / os.fsdecode(b"caf\xe9")
    path = plan_copy(folder)
    path.write_text("name: [unclosed\n")
    process = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "planner.cli", "validate", str(path)], capture_output=True, timeout=60, check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"})
    assert process.returncode == 2, process.stderr
    assert b"Traceback" not in process.stderr
    assert b"caf\\xe9" in process.stderr


# --- Single files: --write-mps, generate --out, schema --write -------------------------------------


@pytest.mark.parametrize("kind", ["symlink", "folder", "fifo"])
def test_a_single_file_output_never_replaces_what_is_not_a_regular_file(tmp_path, kind):
    target = tmp_path / "target"
    if kind == "symlink":
        (tmp_path / "victim").write_text("keep me")
        target.symlink_to(tmp_path / "victim")
    elif kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    for arguments in (["optimize", str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(tmp_path / "out"),
                       "--no-report", "--write-mps", str(target)],
                      ["generate", "--sites", "1", "--out", str(target)]):
        result = runner.invoke(app, arguments)
        assert_refused(result, str(target))
    assert target.is_symlink() or target.is_dir() or target.is_fifo()
    if kind == "symlink":
        assert (tmp_path / "victim").read_text() == "keep me"
    assert not (tmp_path / "out").exists()


def test_generate_refuses_an_empty_name_and_schema_a_file_for_its_folder(tmp_path):
    assert_refused(runner.invoke(app, ["generate", "--out", ""]), "--out", "expected a file name")
    assert_refused(runner.invoke(app, ["schema", "--write", ""]), "--write", "expected a folder name")
    (tmp_path / "file").write_text("x")
    assert_refused(runner.invoke(app, ["schema", "--write", str(tmp_path / "file")]), "--write")
    assert (tmp_path / "file").read_text() == "x"


@pytest.mark.parametrize(("target", "words"), [
    ("plan", "no input of this run"), ("catalog", "no input of this run"), ("hard link", "no input of this run"),
    ("out/summary.json", "outside"), ("out/lp.mps", "outside"), ("out", "not on the path"),
])
def test_write_mps_never_lands_on_an_input_or_in_the_report_folder(tmp_path, target, words):
    """--write-mps onto the run's plan or catalog (or a hard link to one), into its --out folder (whose
    every file the manifest lists) or where that folder is to be, is refused before anything is written:
    the input intact, no folder made."""
    plan, catalog = plan_copy(tmp_path), tmp_path / "catalog.yaml"
    catalog.write_bytes(SMALL_CATALOG.read_bytes())
    (tmp_path / "hard link").hardlink_to(plan)
    mps = {"plan": plan, "catalog": catalog}.get(target, tmp_path / target)
    out = tmp_path / "out" / "report" if target == "out" else tmp_path / "out"
    result = runner.invoke(app, ["optimize", str(plan), "--catalog", str(catalog), "--out", str(out),
                                 "--no-report", "--write-mps", str(mps)])
    assert_refused(result, "--write-mps", words)
    assert plan.read_bytes() == PLAN.read_bytes()
    assert catalog.read_bytes() == SMALL_CATALOG.read_bytes()
    assert not (tmp_path / "out").exists()


def test_write_mps_replaces_a_regular_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "lp.mps"
    target.write_text("old")
    assert optimize(PLAN, tmp_path / "out", "--write-mps", str(target)).exit_code == 0
    assert target.read_text().startswith("NAME")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".planner-tmp-")]


# --- Report folders ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["file", "under-a-file", "device-link"])
def test_an_out_that_cannot_be_a_folder_is_refused_before_any_work(tmp_path, kind):
    (tmp_path / "file").write_text("x")
    (tmp_path / "device").symlink_to("/dev/null")
    out = {"file": tmp_path / "file", "under-a-file": tmp_path / "file" / "report",
           "device-link": tmp_path / "device"}[kind]
    assert_refused(optimize(PLAN, out), "--out")
    assert (tmp_path / "file").read_text() == "x"
    assert (tmp_path / "device").is_symlink()


@pytest.mark.skipif(ROOT, reason="root writes into read-only folders")
def test_a_read_only_out_is_refused_before_any_work(tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    assert_refused(optimize(PLAN, tmp_path / "ro" / "report"), "--out", "cannot write")


def test_a_plan_inside_out_is_never_overwritten(tmp_path):
    """The plan kept in the report folder under the manifest's name: refused, the plan intact."""
    out = tmp_path / "report"
    plan = plan_copy(out, "summary.json")
    assert_refused(optimize(plan, out), "holds no input of this run")
    assert plan.read_bytes() == PLAN.read_bytes()


def test_a_report_file_changed_by_someone_else_is_never_overwritten(tmp_path):
    out = tmp_path / "report"
    assert optimize(PLAN, out).exit_code == 0
    (out / "budget.csv").write_text("edited by hand")
    assert_refused(optimize(PLAN, out), "budget.csv", "did not write (or which was changed since)")
    assert (out / "budget.csv").read_text() == "edited by hand"
    assert_refused(optimize(PLAN, out), "budget.csv")


def test_a_side_report_folder_is_checked_before_anything_is_solved(tmp_path, monkeypatch):
    """whatif --reports writes out/base/ and out/<scenario>/: a file there that planner did not write
    is refused up front (no solve runs), and left as it was."""
    from planner.scenarios import whatif  # noqa: PLC0415

    def no_solve(*_args, **_kwargs):
        raise AssertionError("solved before the folders were checked")

    monkeypatch.setattr(whatif, "run_whatif", no_solve)
    out = tmp_path / "w"
    (out / "overrides").mkdir(parents=True)
    (out / "overrides" / "summary.json").write_text("mine")
    result = runner.invoke(app, ["whatif", str(PLAN), "--catalog", str(SMALL_CATALOG), "--set",
                                 "sites.lab.pue=1.3", "--reports", "--out", str(out)])
    assert_refused(result, "--reports", "summary.json", "did not write")
    assert (out / "overrides" / "summary.json").read_text() == "mine"


def test_a_file_planner_did_not_write_is_never_overwritten(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "allocation.csv").write_text("my own numbers")
    (out / "notes.txt").write_text("mine")
    assert_refused(optimize(PLAN, out), "allocation.csv", "did not write")
    assert (out / "allocation.csv").read_text() == "my own numbers"
    assert snapshot(out) == {"allocation.csv": b"my own numbers", "notes.txt": b"mine"}


def test_a_report_that_fails_midway_leaves_no_temporary_and_the_folder_unlocked(tmp_path, monkeypatch):
    """Any error while the report is drawn (not only an OS error) removes what was staged: the previous
    report stays whole, and the next run may write the folder."""
    out = tmp_path / "out"
    assert optimize(PLAN, out).exit_code == 0
    before = snapshot(out)
    from planner.reports import pdf_report  # noqa: PLC0415

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a chart that cannot be drawn")

    monkeypatch.setattr(pdf_report, "write_charts_and_pdf", broken)
    with pytest.raises(RuntimeError):
        runner.invoke(app, ["optimize", str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                            "--no-risks"], catch_exceptions=False)
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".planner-tmp-")]
    monkeypatch.undo()
    assert optimize(PLAN, out).exit_code == 0
    assert manifest_agrees(out)


def test_a_report_is_rewritten_in_place_and_its_manifest_agrees(tmp_path):
    """A second run into its own folder replaces its files (owned), leaves other files alone and
    removes the outputs it did not write again."""
    out = tmp_path / "report"
    assert optimize(PLAN, out).exit_code == 0
    (out / "notes.txt").write_text("mine")
    (out / "chip_mix.png").write_bytes(b"")
    owned = json.loads((out / ".planner-owned").read_text())["files"]
    owned["chip_mix.png"] = [hashlib.sha256(b"").hexdigest()]  # as if an earlier run had drawn it
    (out / ".planner-owned").write_text(json.dumps({"files": owned}))
    assert optimize(PLAN, out).exit_code == 0
    assert manifest_agrees(out)
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "chip_mix.png").exists()


@pytest.mark.parametrize("command", ["whatif", "sweep"])
def test_whatif_and_sweep_check_their_folder_before_solving(tmp_path, command):
    out = tmp_path / "report"
    out.mkdir()
    name = "comparison.csv" if command == "whatif" else "sweep.csv"
    (out / name).write_text("mine")
    change = ["--set", "sites.lab.pue=1.3"] if command == "whatif" else ["--set-range", "sites.lab.pue=1.1:1.3:3"]
    result = runner.invoke(app, [command, str(PLAN), "--catalog", str(SMALL_CATALOG), *change, "--out", str(out)])
    assert_refused(result, name, "did not write")
    assert "Solving" not in result.output
    assert (out / name).read_text() == "mine"


def test_a_folder_locked_by_another_run_is_refused(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    holder = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True)\n"
         "time.sleep(60)", str(out)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        assert_refused(optimize(PLAN, out), "another planner run is writing")
    finally:
        holder.kill()
        holder.communicate()
    assert not list(out.iterdir())


def _cli(*arguments: str, limit_bytes: int | None = None) -> subprocess.Popen[bytes]:
    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "planner.cli", *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=limit, env={**os.environ, "SOURCE_DATE_EPOCH": "0"})  # noqa: PLW1509 - setrlimit only


def test_two_concurrent_runs_into_one_folder_leave_a_folder_that_agrees(tmp_path):
    out = tmp_path / "report"
    arguments = ("optimize", str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(out), "-q", "--no-report")
    runs = [_cli(*arguments) for _ in range(2)]
    outputs = [run.communicate(timeout=180) for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes in ([0, 0], [0, 2]), outputs
    for _, stderr in outputs:
        assert b"Traceback" not in stderr
    assert manifest_agrees(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".planner-tmp-")]


def test_a_full_disk_leaves_the_previous_report_intact(tmp_path):
    """A file-size limit (as a full disk would) stops the rewrite: exit 2, a message naming the file,
    and the previous report byte for byte, its manifest agreeing."""
    out = tmp_path / "report"
    assert optimize(PLAN, out).exit_code == 0
    before = snapshot(out)
    run = _cli("optimize", str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(out), "-q", "--no-report",
               limit_bytes=1500)
    _, stderr = run.communicate(timeout=180)
    assert run.returncode == 2, stderr
    assert b"Traceback" not in stderr
    assert b"File too large" in stderr
    assert snapshot(out) == before
    assert manifest_agrees(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".planner-tmp-")]


def test_a_full_disk_never_leaves_a_cut_mps_file(tmp_path):
    """HiGHS says nothing when its write is cut short: the MPS file is whole (ends with ENDATA) or the
    path keeps what it held."""
    target = tmp_path / "lp.mps"
    target.write_text("old")
    run = _cli("optimize", str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(tmp_path / "out"), "-q",
               "--no-report", "--write-mps", str(target), limit_bytes=300)
    _, stderr = run.communicate(timeout=180)
    assert run.returncode == 2, stderr
    assert b"--write-mps" in stderr
    assert target.read_text() == "old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".planner-tmp-")]


def test_a_run_killed_while_rewriting_never_leaves_a_manifest_that_disagrees(tmp_path):
    out = tmp_path / "report"
    arguments = ("optimize", str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(out), "-q", "--no-report")
    started = time.perf_counter()
    run = _cli(*arguments)
    run.communicate(timeout=180)
    duration = time.perf_counter() - started
    for fraction in (0.85, 0.95):
        run = _cli(*arguments)
        time.sleep(duration * fraction)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
        if (out / "summary.json").exists():
            assert manifest_agrees(out)


# --- Sweep workers -------------------------------------------------------------------------------


def test_sweep_workers_die_with_their_parent(tmp_path):
    power = "sites.lab.power_sources.grid.phases.0.available_mw"
    sweep = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "planner.cli", "sweep", str(PLAN), "--catalog", str(SMALL_CATALOG),
         "--set-range", f"{power}=5:15:1000", "--set-range", "sites.lab.pue=1.1:1.3:5", "--workers", "2",
         "--no-charts", "-q", "--out", str(tmp_path / "s")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    assert wait_for_group(sweep.pid, 4) >= 4  # the sweep, the tracker, the fork server, a worker
    assert not kill_and_collect_group(sweep)


# --- Text special to a library; degenerate plans -------------------------------------------------


def test_dollar_signs_and_an_empty_fleet_are_drawn_as_they_are(tmp_path):
    """A title and a site name with `$...$` (invalid TeX) are drawn literally; min-cost with no demand
    buys nothing, and that empty plan still gets its terminal summary and its PDF (exit 0)."""
    text = PLAN.read_text().replace("title: One quarter, two accelerators", 'title: "Cost $\\\\undefined{x}$ of it"')
    text = text.replace("name: Lab campus", 'name: "Lab $\\\\frac{$ campus"')
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["optimize", str(path), "--catalog", str(SMALL_CATALOG), "--objective", "min-cost",
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "Buy and build nothing" in result.output
    assert (tmp_path / "o" / "report.pdf").read_bytes().startswith(b"%PDF")
    assert manifest_agrees(tmp_path / "o")


def test_duplicate_ids_across_included_files_point_at_the_included_entry(tmp_path):
    site = PLAN.read_text().split("sites:\n", 1)[1].split("budget:", 1)[0]
    entry = "\n".join(line[4:] for line in site.splitlines())
    (tmp_path / "a.yaml").write_text(entry)
    (tmp_path / "b.yaml").write_text(entry)
    text = PLAN.read_text().replace("sites:\n" + site, "sites:\n  - include: a.yaml\n  - include: b.yaml\n")
    (tmp_path / "plan.yaml").write_text(text)
    result = optimize(tmp_path / "plan.yaml", tmp_path / "out")
    assert_refused(result, f"{tmp_path / 'b.yaml'}:1:1: sites[1].id", "found 'lab' again (first at sites[0])")


# --- Options at their edges ----------------------------------------------------------------------

POWER = "sites.lab.power_sources.grid.phases.0.available_mw"


@pytest.mark.parametrize(("arguments", "words"), [
    (["optimize", str(PLAN), "--time-limit", "inf"], ["--time-limit"]),
    (["optimize", str(PLAN), "--time-limit", "nan"], ["--time-limit", "expected seconds from 0.01 to 1e6, found nan"]),
    (["sweep", str(PLAN), "--set-range", f"{POWER}=5:15:3", "--seed", "-1"], ["--seed"]),
    (["generate", "--seed", "-1"], ["--seed"]),
    (["sweep", str(PLAN), "--set-range", f"{POWER}=x1..2:x2:3"], ["--set-range", "x1..2"]),
    (["sweep", str(PLAN), "--set-range", f"{POWER}=x1e-:x2:3"], ["--set-range", "x1e-"]),
    (["sweep", str(PLAN), "--set-range", f"{POWER}=x0:x2:3"], ["--set-range", "above 0"]),
    (["sweep", str(PLAN), "--set-range", f"{POWER}=1:2:1000", "--set-range", "sites.lab.pue=1.1:1.3:1000",
      "--set-range", "sites.lab.pue=1.1:1.3:1000"], ["at most 10,000 runs", "1,000,000,000"]),
    (["fit", "--power", "nan", "--accelerator", "alpha"], ["--power", "at most 100,000 MW", "nan"]),
    (["fit", "--power", "-1", "--accelerator", "alpha"], ["--power", "above 0"]),
    (["fit", "--power", "0", "--accelerator", "alpha"], ["--power", "above 0"]),
    (["fit", "--power", "inf", "--accelerator", "alpha"], ["--power", "inf"]),
    (["fit", "--power", "1 GW", "--budget", "nan", "--accelerator", "alpha"], ["--budget"]),
], ids=["time-inf", "time-nan", "seed", "generate-seed", "factor-dots", "factor-exponent", "factor-zero",
        "grid-1e9", "fit-nan", "fit-negative", "fit-zero", "fit-inf", "fit-budget-nan"])
def test_options_at_their_edges_are_refused_with_their_range(tmp_path, arguments, words):
    started = time.perf_counter()
    extra = [] if arguments[0] == "generate" else ["--catalog", str(SMALL_CATALOG)]
    extra += ["--out", str(tmp_path / "o")] if arguments[0] != "fit" else []
    result = runner.invoke(app, [*arguments, *extra])
    assert_refused(result, *words)
    assert time.perf_counter() - started < SECONDS
    assert not (tmp_path / "o").exists()


def test_the_documented_most_samples_are_accepted():
    from planner.scenarios.sweep_runs import MAX_RUNS, plan_runs

    assert len(plan_runs([], None, [()] * MAX_RUNS, tornado=False)) == MAX_RUNS + 1


@pytest.mark.parametrize("close", [False, True], ids=["full", "closed"])
def test_a_standard_output_that_cannot_be_written_ends_in_a_message(tmp_path, close):
    """`plan catalog --json > /dev/full` ends with a message and exit 2; with standard output closed
    (`>&-`) the command writes its files and exits 0 (what it prints goes nowhere)."""
    if close:
        process = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "planner.cli", "validate", str(PLAN), "--catalog", str(SMALL_CATALOG)],
            stderr=subprocess.PIPE, timeout=120, check=False, preexec_fn=lambda: os.close(1))  # noqa: PLW1509
        assert process.returncode == 0, process.stderr
    else:
        with Path("/dev/full").open("w") as full:
            process = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "planner.cli", "catalog", "--json"], stdout=full, stderr=subprocess.PIPE,
                timeout=120, check=False)
        assert process.returncode == 2, process.stderr
        assert b"error: cannot write the output (No space left on device)" in process.stderr
    assert b"Traceback" not in process.stderr


def test_an_example_that_cannot_be_written_whole_leaves_nothing(tmp_path):
    """A file-size limit cuts the copy of sites/ohio.yaml: every file already copied is removed, so a
    rerun elsewhere or after freeing space is not refused for files that 'already exist'."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
    process = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "planner.cli", "example", "ohio", str(tmp_path / "ex")], capture_output=True,
        timeout=120, check=False, preexec_fn=limit)  # noqa: PLW1509
    assert process.returncode == 2, process.stderr
    assert b"nothing was written" in process.stderr
    assert not [p for p in (tmp_path / "ex").rglob("*") if p.is_file()]


def test_a_folder_rewritten_by_another_command_keeps_no_file_of_the_first(tmp_path):
    """A sweep's folder rewritten by a what-if: every file the sweep wrote and the what-if did not
    (sweep.html, sweep.pdf, its charts) is gone, so the manifest lists every file in the folder."""
    out = tmp_path / "out"
    common = [str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(out), "-q"]
    assert runner.invoke(app, ["sweep", *common, "--set-range", "budget.2026.limit_usd=$1B:$2B:2"]).exit_code == 0
    assert runner.invoke(app, ["whatif", *common, "--set", "budget.2026.limit_usd=$2B"]).exit_code == 0
    listed = set(json.loads((out / "summary.json").read_text())["outputs"])
    assert {p.name for p in out.iterdir()} - listed == {"summary.json", ".planner-owned"}
    assert manifest_agrees(out)


def test_a_what_if_rewritten_without_reports_leaves_no_report_of_the_first(tmp_path):
    """`--reports` writes `base/` and one folder per scenario (two files named alike: `cut`, `cut-2`).
    Rewritten without it, the folder keeps no report of the first run: `base/` and `cut-2/` are gone,
    and `cut/`, where the user put a note, keeps only the note."""
    files = []
    for number, limit in enumerate(("$1B", "$2B")):
        scenario = tmp_path / f"s{number}" / "cut.yaml"
        scenario.parent.mkdir()
        scenario.write_text(f"budget:\n  - year: 2026\n    limit_usd: {limit}\n", encoding="utf-8")
        files += ["--scenario", str(scenario)]
    out = tmp_path / "out"
    common = [str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(out), "--no-charts", "-q"]
    result = runner.invoke(app, ["whatif", *common, *files, "--reports"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir() if p.is_dir()} == {"base", "cut", "cut-2"}
    assert all(manifest_agrees(out / name) for name in ("base", "cut", "cut-2"))
    (out / "cut" / "notes.txt").write_text("mine", encoding="utf-8")
    assert runner.invoke(app, ["whatif", *common, *files]).exit_code == 0
    assert {p.name for p in out.iterdir() if p.is_dir()} == {"cut"}
    assert [p.name for p in (out / "cut").iterdir()] == ["notes.txt"]
    assert manifest_agrees(out)
