"""Analyst formats (issue 16): Parquet and one workbook beside the CSV contract, the long tables,
`--json`, and a plan read from stdin."""

from __future__ import annotations

import hashlib
import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.reports import formats
from tests.conftest import DATA, REPO, SMALL_CATALOG

runner = CliRunner()
ONE_QUARTER = DATA / "one-quarter.yaml"
TABLES = ["allocation", "sites", "budget", "compute", "constraints", "sites_long", "compute_long"]


@pytest.fixture(scope="module")
def every_format(tmp_path_factory: pytest.TempPathFactory):
    for module in ("pyarrow", "openpyxl"):  # the `test` extra installs both (as the `formats` extra does)
        pytest.importorskip(module)
    out = tmp_path_factory.mktemp("formats") / "out"
    result = runner.invoke(app, ["optimize", str(REPO / "sites" / "ohio.yaml"), "--out", str(out), "--no-report",
                                 "--format", "parquet,xlsx", "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_every_table_in_every_format_is_in_the_manifest(every_format):
    summary = json.loads((every_format / "summary.json").read_text())
    expected = {f"{name}.{suffix}" for name in TABLES for suffix in ("csv", "parquet")} | {"tables.xlsx"}
    assert set(summary["outputs"]) == expected
    for name, digest in summary["outputs"].items():
        assert hashlib.sha256((every_format / name).read_bytes()).hexdigest() == digest, name
    assert summary["provenance"]["options"]["formats"] == ["csv", "parquet", "xlsx"]


def test_parquet_and_the_workbook_hold_what_the_csv_holds(every_format):
    sheets = pd.read_excel(every_format / "tables.xlsx", sheet_name=None)
    assert list(sheets) == TABLES
    for name in TABLES:
        csv = pd.read_csv(every_format / f"{name}.csv", keep_default_na=False, na_values=[""])
        parquet = pd.read_parquet(every_format / f"{name}.parquet")
        assert list(parquet.columns) == list(csv.columns) == list(sheets[name].columns), name
        assert len(parquet) == len(csv) == len(sheets[name]), name
        numeric = [c for c in csv.columns if pd.api.types.is_float_dtype(parquet[c])]
        pd.testing.assert_frame_equal(parquet[numeric].reset_index(drop=True), csv[numeric].astype(float),
                                      rtol=1e-9, check_dtype=False)


def test_long_tables_say_in_columns_what_wide_ones_say_in_names(every_format):
    wide = pd.read_csv(every_format / "sites.csv")
    long = pd.read_csv(every_format / "sites_long.csv", keep_default_na=False)
    assert list(long.columns) == formats.SITES_LONG_COLUMNS
    row = long[(long["period"] == "2026Q3") & (long["part_kind"] == "source") & (long["part"] == "socrates-north")
               & (long["quantity"] == "firm_mw")]
    assert row["value"].tolist() == wide.loc[wide["period"] == "2026Q3", "source_socrates-north_firm_mw"].tolist()
    hall = long[(long["part_kind"] == "hall") & (long["part"] == "tents") & (long["quantity"] == "used_mw")]
    assert hall["value"].tolist() == pytest.approx(wide["hall_tents_used_mw"].tolist())
    assert set(long.loc[long["part_kind"] == "site", "part"]) == {""}
    assert wide.drop(columns=["period", "site"]).notna().sum().sum() == len(long)
    compute = pd.read_csv(every_format / "compute_long.csv", keep_default_na=False)
    wide_compute = pd.read_csv(every_format / "compute.csv")
    amd = compute[(compute["vendor"] == "amd") & (compute["quantity"] == "bf16_pflops")]
    assert amd["value"].tolist() == pytest.approx(wide_compute["bf16_pflops_amd"].tolist())


def test_an_unknown_or_missing_format_is_bad_input(tmp_path, monkeypatch):
    out = tmp_path / "out"
    result = runner.invoke(app, ["optimize", str(ONE_QUARTER), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                                 "--format", "csv,feather"])
    assert result.exit_code == 2
    assert "--format: expected a comma-separated list of csv, parquet, xlsx, found 'feather'" in result.output
    monkeypatch.setattr(formats, "installed", lambda module: module != "openpyxl")
    result = runner.invoke(app, ["optimize", str(ONE_QUARTER), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                                 "--format", "xlsx"])
    assert result.exit_code == 2
    assert "openpyxl is not installed: pip install 'ai-capacity-planner[formats]'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_plan_from_stdin_is_solved_and_its_bytes_hashed(tmp_path):
    text = ONE_QUARTER.read_bytes() + b"# read from stdin\n"
    out = tmp_path / "out"
    result = runner.invoke(app, ["optimize", "-", "--catalog", str(SMALL_CATALOG), "--out", str(out), "--no-charts",
                                 "--json"], input=text)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads((out / "summary.json").read_text())
    assert printed["provenance"]["inputs"] == [{"path": "-", "sha256": hashlib.sha256(text).hexdigest()}]
    assert not any(name.endswith((".png", ".pdf")) for name in printed["outputs"]), "--no-charts is --no-report"


def test_bad_input_on_stdin_names_stdin(tmp_path):
    result = runner.invoke(app, ["validate", "-"], input=io.BytesIO(b"name: x\nname: y\n").getvalue())
    assert result.exit_code == 2
    assert "<stdin>:2:1" in result.output


def test_whatif_and_sweep_write_their_tables_in_the_formats_asked(tmp_path):
    for module in ("pyarrow", "openpyxl"):
        pytest.importorskip(module)
    plan = str(ONE_QUARTER)
    whatif, sweep = tmp_path / "whatif", tmp_path / "sweep"
    result = runner.invoke(app, ["whatif", plan, "--catalog", str(SMALL_CATALOG), "--set", "objective=min-cost",
                                 "--no-report", "--format", "xlsx,parquet", "--out", str(whatif), "-q"])
    assert result.exit_code in (0, 3), result.output
    assert list(pd.read_excel(whatif / "tables.xlsx", sheet_name=None)) == ["comparison", "limit_changes",
                                                                          "input_changes"]
    assert len(pd.read_parquet(whatif / "comparison.parquet")) == len(pd.read_csv(whatif / "comparison.csv"))
    result = runner.invoke(app, ["sweep", plan, "--catalog", str(SMALL_CATALOG), "--set-range",
                                 "catalog.beta.unit_price_usd=x0.8:x1.2:2", "--workers", "1", "--no-report",
                                 "--format", "parquet", "--out", str(sweep), "-q"])
    assert result.exit_code == 0, result.output
    outputs = json.loads((sweep / "summary.json").read_text())["outputs"]
    assert {"sweep.csv", "sweep.parquet", "sweep_periods.csv", "sweep_periods.parquet"} <= set(outputs)


def test_the_workbook_carries_no_time_of_writing(every_format):
    """Same tables, same bytes (as the CSVs and the PDF): every zip part is stamped 1980-01-01 and
    the document's created and modified dates are fixed."""
    import zipfile

    with zipfile.ZipFile(every_format / "tables.xlsx") as workbook:
        assert {entry.date_time for entry in workbook.infolist()} == {formats.FIXED_ZIP_TIME}
        core = workbook.read("docProps/core.xml").decode()
    assert core.count("1980-01-01T00:00:00Z") == 2
