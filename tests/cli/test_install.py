"""Install anywhere (issue 16): the distribution's configuration, the example plans shipped in the
package and `plan example`, `--version`, completion, and CBC as an extra.

Building a wheel takes too long for the suite: these tests read the configuration the build
uses (pyproject.toml, setup.py, MANIFEST.in); the real build is checked by hand (see the commit).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version

import pulp
import typer
from typer.testing import CliRunner

from planner import DISTRIBUTION
from planner.cli import app
from planner.inputs import examples as shipped
from tests.conftest import DATA, REPO, SMALL_CATALOG

runner = CliRunner()
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_distribution_is_not_the_unrelated_planner_and_cbc_is_an_extra():
    project = PYPROJECT["project"]
    assert project["name"] == DISTRIBUTION == "ai-capacity-planner"
    pulp_requirements = [r for r in project["dependencies"] if r.startswith("pulp")]
    assert pulp_requirements == ["pulp>=4.2,<5"], "CBC (548 MB) is the `cbc` extra, not a dependency"
    extras = project["optional-dependencies"]
    assert extras["cbc"] == ["pulp[cbc]>=4.2,<5"]
    assert "pulp[cbc]>=4.2,<5" in extras["test"], "the tests compare HiGHS with CBC"
    assert {"pyarrow>=15", "openpyxl>=3.1"} <= set(extras["test"]) & set(extras["formats"])
    assert project["scripts"] == {"plan": "planner.cli:main"}
    assert project["license-files"] == ["LICENSE"]
    assert "Apache License" in (REPO / "LICENSE").read_text(encoding="utf-8")


def test_the_sdist_holds_what_the_tests_and_the_wheel_build_need():
    manifest = (REPO / "MANIFEST.in").read_text(encoding="utf-8")
    for folder in ("planner", "tests", "sites", "schemas", "docs"):
        assert re.search(rf"^graft {folder}$", manifest, re.MULTILINE), folder
    assert (REPO / "tests" / "conftest.py").is_file()
    assert "LICENSE" in manifest
    assert "setup.py" in manifest


def test_the_wheel_ships_every_example_plan_and_schema():
    """setup.py copies `sites/**/*.yaml` and `schemas/*.schema.json` into the package: every file the
    repository keeps there matches, so none is left out of the wheel."""
    setup = (REPO / "setup.py").read_text(encoding="utf-8")
    assert '"sites": ("examples", "**/*.yaml")' in setup
    assert '"schemas": ("schemas", "*.schema.json")' in setup
    assert all(path.suffix == ".yaml" for path in (REPO / "sites").rglob("*") if path.is_file())
    assert all(path.name.endswith(".schema.json") for path in (REPO / "schemas").iterdir())
    assert shipped.examples_folder().resolve() == (REPO / "sites").resolve()  # a checkout reads its own


def test_example_lists_the_shipped_plans():
    result = runner.invoke(app, ["example"])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == ["louisiana", "meta-fleet", "ohio", "prometheus-2026-infeasible"]


def test_example_copies_a_plan_that_runs_where_it_lands(tmp_path):
    target = tmp_path / "ohio"
    result = runner.invoke(app, ["example", "ohio", str(target)])
    assert result.exit_code == 0, result.output
    copied = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert {"ohio.yaml", "campus/prometheus.yaml", "scenarios/ohio-amd-heavy.yaml", "scenarios/sweep-ohio-risk.yaml",
            "schemas/plan.schema.json", "schemas/site.schema.json"} <= set(copied)
    assert not any("louisiana" in name or "meta-fleet" in name for name in copied)
    # The same files, but for the `$schema` comment, which points at the copied schemas.
    plan = (target / "ohio.yaml").read_text(encoding="utf-8")
    assert plan.startswith("# yaml-language-server: $schema=schemas/plan.schema.json\n")
    assert plan.split("\n", 1)[1] == (REPO / "sites" / "ohio.yaml").read_text(encoding="utf-8").split("\n", 1)[1]
    assert (target / "campus" / "prometheus.yaml").read_text().startswith(
        "# yaml-language-server: $schema=../schemas/site.schema.json\n")
    result = runner.invoke(app, ["validate", str(target / "ohio.yaml")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["whatif", str(target / "ohio.yaml"), "--scenario",
                                 str(target / "scenarios" / "ohio-no-tents.yaml"), "--help"])
    assert result.exit_code == 0


def test_example_refuses_to_overwrite_and_to_guess(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "ohio.yaml").write_text("mine\n")
    result = runner.invoke(app, ["example", "ohio", str(target)])
    assert result.exit_code == 2
    assert "ohio.yaml already exists; nothing was written" in result.output
    assert (target / "ohio.yaml").read_text() == "mine\n"
    assert sorted(p.name for p in target.iterdir()) == ["ohio.yaml"]
    result = runner.invoke(app, ["example", "texas", str(tmp_path / "t")])
    assert result.exit_code == 2
    assert "expected one of louisiana, meta-fleet, ohio, prometheus-2026-infeasible, found 'texas'" in result.output
    assert not (tmp_path / "t").exists()


def test_version_names_the_distribution_and_completion_is_offered():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    try:  # the version of this distribution, not of the unrelated `planner` one
        expected = version(DISTRIBUTION)
    except PackageNotFoundError:
        expected = "0.0.0+unknown"
    assert result.output == f"planner {expected}\n"
    command = typer.main.get_command(app)
    names = {name for param in command.params for name in param.opts}
    assert {"--install-completion", "--show-completion", "--version"} <= names


def test_missing_cbc_names_the_extra_to_install(write_plan, tmp_path, monkeypatch):
    """Without CBC, `--solver cbc` says which extra brings it (and HiGHS answers instead)."""
    monkeypatch.setattr(pulp.COIN_CMD, "available", lambda self: False)
    plan = write_plan((DATA / "one-quarter.yaml").read_text())
    result = runner.invoke(app, ["optimize", str(plan), "--catalog", str(SMALL_CATALOG), "--solver", "cbc",
                                 "--out", str(tmp_path / "out"), "--no-report"])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())  # the note wraps at the terminal's width
    assert "CBC is not available: install it with pip install 'ai-capacity-planner[cbc]'" in words
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["solver"]["name"] == "HiGHS"


def test_every_solving_command_speaks_the_same_options():
    """`--objective`, `--solver`, `--threads`, `--time-limit`, `--integer`, `--solver-log`, `--catalog`
    and `--json`, the same help, defaults and bounds everywhere (choices: the next test); `--no-report`
    and `-q` wherever a folder is written."""
    command = typer.main.get_command(app)
    shared = {"--objective", "--solver", "--threads", "--time-limit", "--integer", "--solver-log", "--catalog",
              "--json", "--quiet"}
    seen: dict[str, list[tuple[object, ...]]] = {}
    for name in ("optimize", "explain", "whatif", "sweep"):
        params = {opt: param for param in command.commands[name].params for opt in param.opts}
        assert shared <= set(params), (name, shared - set(params))
        if name != "explain":  # explain writes no folder
            assert {"--no-report", "--no-charts", "-q", "--out", "--format"} <= set(params), name
            assert params["--no-charts"].hidden
            assert not params["--no-report"].hidden
        for option in ("--objective", "--solver", "--threads", "--time-limit"):
            param = params[option]
            bounds = (getattr(param, "min", None), getattr(param, "max", None), repr(getattr(param, "type", None)))
            seen.setdefault(option, []).append((param.default, param.envvar, param.help, bounds))
    for option, variants in seen.items():
        assert len(set(variants)) == 1, (option, variants)


def test_an_unknown_objective_or_solver_is_refused_alike_everywhere(tmp_path):
    plan = str(DATA / "one-quarter.yaml")
    for command in (["optimize", plan], ["explain", plan], ["whatif", plan, "--set", "objective=min-cost"],
                    ["sweep", plan, "--set-range", "budget.2026.limit_usd=$1B:$2B:2"]):
        result = runner.invoke(app, [*command, "--solver", "nonesuch"])
        assert result.exit_code == 2, (command, result.output)
        assert "--solver: expected highs, cbc or a solver PuLP finds installed" in result.output
        result = runner.invoke(app, [*command, "--objective", "max-profit"])
        assert result.exit_code == 2, (command, result.output)
        assert "max-compute" in result.output
        assert "min-cost" in result.output


def test_version_warns_when_the_unrelated_planner_shares_the_folder(monkeypatch):
    import importlib.metadata

    real = importlib.metadata.metadata

    def metadata(name):
        if name == "planner":
            return {"Summary": "A simple Python real-time best-first planning algorithm.", "Version": "0.5.1"}
        return real(name)

    monkeypatch.setattr(importlib.metadata, "metadata", metadata)
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "warning: the unrelated package 'planner' 0.5.1 is installed too" in result.output
    assert "pip uninstall -y planner ai-capacity-planner && pip install ai-capacity-planner" in result.output


def test_a_spinner_shows_on_a_terminal_unless_quiet(monkeypatch):
    import contextlib
    import sys

    from planner.cli_options import solving

    assert isinstance(solving(quiet=False), contextlib.nullcontext)  # stderr is captured here: no terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert type(solving(quiet=False)).__name__ == "Status"
    assert isinstance(solving(quiet=True), contextlib.nullcontext)


def test_whatif_reads_its_base_from_stdin_and_prints_json(tmp_path):
    text = (DATA / "one-quarter.yaml").read_bytes()
    out = tmp_path / "whatif"
    result = runner.invoke(app, ["whatif", "-", "--catalog", str(SMALL_CATALOG), "--set", "objective=min-cost",
                                 "--no-report", "--json", "--out", str(out)], input=text)
    assert result.exit_code in (0, 3), result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads((out / "summary.json").read_text())
    assert printed["base"]["inputs"] == [{"path": "-", "sha256": hashlib.sha256(text).hexdigest()}]
