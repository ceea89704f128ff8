"""Bad input: exit code 2, a message with file:line:column and the key, no traceback, no files."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from planner.cli import app
from tests.conftest import DATA, SMALL_CATALOG

runner = CliRunner()

GOOD = (DATA / "one-quarter.yaml").read_text()


def mutate(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


CASES = {
    # id: (plan text, key expected in the message, words expected in the message)
    "wrong type": (mutate("pue: 1.25", "pue: high"), "sites[0].pue", "valid number"),
    "boolean for a number": (mutate("pue: 1.25", "pue: true"), "sites[0].pue", "found true"),
    "nan power": (mutate("available_mw: 10 MW", "available_mw: .nan"), "available_mw", "finite"),
    "negative power": (mutate("available_mw: 10 MW", "available_mw: -5"), "available_mw", "greater than or equal"),
    "energy for power": (mutate("available_mw: 10 MW", "available_mw: 5 MWh"), "available_mw", "found energy"),
    "hostile unit": (mutate("available_mw: 10 MW", "available_mw: '9**9**9 W'"), "available_mw", "expected a number"),
    "key typo": (mutate("pue: 1.25", "peu: 1.25"), "sites[0].peu", "did you mean 'pue'"),
    "missing key": (mutate("    pue: 1.25\n", ""), "sites[0].pue", "required key is missing"),
    "duplicate key": (mutate("pue: 1.25", "pue: 1.25\n    pue: 1.3"), "sites[0].pue", "duplicate key"),
    "bad quarter": (mutate("end: 2026Q1", "end: 2026Q5"), "horizon.end", "pattern"),
    "python tag": (mutate("pue: 1.25", "pue: !!python/object/apply:os.system [ls]"), "sites[0].pue", "tag"),
    "yaml 1.1 yes": (mutate("kind: building", "kind: yes"), "kind", "'yes'"),
    "unknown accelerator": (GOOD + "policy:\n  exclude: [alpah]\n", "policy.exclude[0]", "did you mean"),
    "list at top": ("- a\n- b\n", "", "expected a YAML mapping"),
    "empty file": ("", "", "empty file"),
    "invalid yaml": ("name: [unclosed\n", "", "invalid YAML"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_plan_is_refused_with_position_and_key(case, write_plan, tmp_path):
    text, key, words = CASES[case]
    path = write_plan(text)
    out = tmp_path / "out"
    result = runner.invoke(app, ["optimize", str(path), "--catalog", str(SMALL_CATALOG), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: ", result.output), result.output
    assert key in result.output
    assert words in result.output
    assert not out.exists()


def test_position_points_at_the_bad_line(write_plan):
    path = write_plan(mutate("pue: 1.25", "pue: high"))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "pue: high" in text)
    result = runner.invoke(app, ["validate", str(path), "--catalog", str(SMALL_CATALOG)])
    assert result.exit_code == 2
    assert f"{path}:{line}:5: sites[0].pue" in result.output


def test_every_problem_is_reported_at_once(write_plan):
    path = write_plan(mutate("pue: 1.25", "pue: high").replace("max_rack_kw: 200 kW", "max_rack_kw: lots"))
    result = runner.invoke(app, ["validate", str(path), "--catalog", str(SMALL_CATALOG)])
    assert result.exit_code == 2
    assert "sites[0].pue" in result.output
    assert "sites[0].halls[0].max_rack_kw" in result.output
    assert "2 problems" in result.output


def test_alias_bomb_is_refused(write_plan):
    lines = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]"]
    for name, previous in zip("bcdefg", "abcdef", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    path = write_plan("\n".join(lines) + "\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "aliases that expand too far" in result.output


def test_include_outside_the_plan_folder_is_refused(write_plan, tmp_path):
    text = GOOD.replace("sites:\n  - id: lab", "sites:\n  - include: ../elsewhere.yaml\n  - id: lab")
    path = write_plan(text)
    result = runner.invoke(app, ["validate", str(path), "--catalog", str(SMALL_CATALOG)])
    assert result.exit_code == 2
    assert "sites[0].include" in result.output
    assert "inside the plan's folder" in result.output


def test_include_reads_a_site_file_with_its_own_positions(write_plan, tmp_path):
    site_text = GOOD.split("sites:\n  - ")[1].split("budget:")[0]
    site_lines = [line[4:] if line.startswith("    ") else line for line in site_text.splitlines()]
    (tmp_path / "site.yaml").write_text("\n".join(site_lines).replace("pue: 1.25", "pue: 9") + "\n")
    plan_text = GOOD.split("sites:")[0] + "sites:\n  - include: site.yaml\nbudget:" + GOOD.split("budget:")[1]
    path = write_plan(plan_text)
    result = runner.invoke(app, ["validate", str(path), "--catalog", str(SMALL_CATALOG)])
    assert result.exit_code == 2
    assert re.search(r"site\.yaml:3:1: sites\[0\]\.pue: Input should be less than or equal to 3", result.output), (
        result.output
    )


def test_missing_file():
    result = runner.invoke(app, ["optimize", "no/such/plan.yaml"])
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.parametrize(("text", "expected"), [
    ("a: 1\na: 2\n", "t.yaml:2:1: a: duplicate key (first at line 1)"),
    ("b: &x {c: 1}\nd:\n  <<: *x\n", "t.yaml:3:3: d: merge keys ('<<') are not supported; repeat the keys"),
    ("a: !!python/object:os.system x\n", "t.yaml:1:4: a: expected plain YAML, found the tag"),
    ("a: 1\n---\nb: 2\n", "t.yaml:2:1: invalid YAML: expected one document, found another ('---')"),
    ("a: *nope\n", "t.yaml:1:4: invalid YAML: found the alias '*nope' before its anchor"),
    ("a: &x 1\nb: &x 2\n", "t.yaml:2:4: invalid YAML: found the anchor '&x' twice"),
    ("? [a, b]\n: 1\n", "t.yaml:1:3: expected a plain key, found a mapping or list as key"),
], ids=["duplicate", "merge", "tag", "two documents", "undefined alias", "anchor twice", "list as key"])
def test_the_reader_refuses_what_plain_data_cannot_hold(text, expected):
    """The loader reads PyYAML's events itself (no node tree): each refusal with its position and key."""
    from planner.errors import InputError  # noqa: PLC0415
    from planner.inputs.loading import load_text  # noqa: PLC0415

    with pytest.raises(InputError) as refused:
        load_text(text, "t.yaml")
    assert str(refused.value).startswith(expected)


def test_an_alias_repeats_its_anchor_with_the_anchor_s_positions():
    """`other: *b` is the anchored mapping again, a copy of its own, each key at the anchor's position."""
    from planner.inputs.loading import load_text  # noqa: PLC0415

    document = load_text("base: &b {x: 1, y: [1, 2]}\nother: *b\n", "t.yaml")
    assert document.data == {"base": {"x": 1, "y": [1, 2]}, "other": {"x": 1, "y": [1, 2]}}
    assert document.data["other"] is not document.data["base"]
    assert str(document.positions[("other",)]) == "t.yaml:2:1"
    assert str(document.positions[("other", "y", 1)]) == "t.yaml:1:24"
