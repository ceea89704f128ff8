"""The result tables in the formats an analyst asks for, and in long (tidy) form.

CSV is the contract and always written. `--format parquet` adds one Parquet file per table (typed
columns, compressed: for large plans); `--format xlsx` one workbook, `tables.xlsx`, with a sheet
per table (for finance). Both need the `formats` extra (pyarrow, openpyxl), checked before
anything is solved. The long tables (`sites_long`, `compute_long`) say in columns what the wide
ones say in column names (`source_grid_used_mw`, `bf16_pflops_amd`), one value a row.

Light at import (the CLI checks `--format` with it before pandas loads).
"""

from __future__ import annotations

import importlib.util
import io
import re
import zipfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from planner.answers.results import Tables
    from planner.inputs.plan import Plan
    from planner.reports.output import OutputFolder

FORMATS = ("csv", "parquet", "xlsx")
NEEDS = {"parquet": "pyarrow", "xlsx": "openpyxl"}
"""The module each format beyond CSV writes with (the `formats` extra installs both)."""
WORKBOOK = "tables.xlsx"
EXCEL_MAX_ROWS = 1_048_576
"""Rows in one Excel sheet, header included."""
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""The time stamped on every part of the workbook (the zip format's first): same tables, same bytes."""
CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
SITES_LONG_COLUMNS = ["period", "site", "part_kind", "part", "quantity", "value"]
COMPUTE_LONG_COLUMNS = ["period", "vendor", "quantity", "value"]


def parse_formats(text: str) -> tuple[str, ...]:
    """`csv,parquet` -> ("csv", "parquet"): CSV always first, each format once."""
    asked = [word.strip().lower() for word in text.split(",") if word.strip()]
    return tuple(dict.fromkeys(["csv", *asked]))


def installed(module: str) -> bool:
    """Whether `module` can be imported here (without importing it)."""
    return importlib.util.find_spec(module) is not None


def format_problem(text: str) -> str | None:
    """What is wrong with `--format text`, or None: an unknown format, or one whose module is missing."""
    asked = parse_formats(text)
    unknown = [word for word in asked if word not in FORMATS]
    if unknown:
        return f"expected a comma-separated list of {', '.join(FORMATS)}, found '{', '.join(unknown)}'"
    missing = [NEEDS[word] for word in asked if word in NEEDS and not installed(NEEDS[word])]
    if missing:
        return (f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed: "
                "pip install 'ai-capacity-planner[formats]'")
    return None


def table_set(plan: Plan, tables: Tables) -> dict[str, pd.DataFrame]:
    """Every table a report writes, by file stem: the wide contract, then the long forms."""
    return {"allocation": tables.allocation, "sites": tables.sites, "budget": tables.budget,
            "compute": tables.compute, "constraints": tables.constraints,
            "sites_long": sites_long(plan, tables.sites), "compute_long": compute_long(plan, tables.compute)}


def _part_of(column: str, prefixes: dict[str, tuple[str, str]]) -> tuple[str, str, str]:
    """A wide column's (part kind, part id, quantity): the longest `kind_id_` prefix that names one of
    the plan's sources or halls, or a whole-site quantity (kind `site`, no part)."""
    for prefix in sorted((p for p in prefixes if column.startswith(p)), key=len, reverse=True):
        kind, part = prefixes[prefix]
        return kind, part, column.removeprefix(prefix)
    return "site", "", column


def _melted(table: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """`table` one value a row (`column`, `value`), in the wide table's row order and, within a row, its
    column order; empty cells left out."""
    long = table.assign(row=range(len(table))).melt(id_vars=["row", *keys], value_vars=values,
                                                    var_name="column", value_name="value")
    return long.dropna(subset=["value"]).sort_values("row", kind="stable").drop(columns="row")


def sites_long(plan: Plan, sites: pd.DataFrame) -> pd.DataFrame:
    """sites.csv in long form: one row per period, site, part (the site as a whole, a source or a hall
    type) and quantity, with its value; cells empty in the wide table (another site's source) left out."""
    import pandas as pd  # noqa: PLC0415

    prefixes = {f"source_{source.id}_": ("source", source.id) for site in plan.sites for source in site.sources}
    prefixes |= {f"hall_{hall.id}_": ("hall", hall.id) for site in plan.sites for hall in site.halls}
    values = [c for c in sites.columns if c not in ("period", "site")]
    long = _melted(sites, ["period", "site"], values)
    parts = pd.DataFrame([_part_of(c, prefixes) for c in values], columns=["part_kind", "part", "quantity"],
                         index=pd.Index(values, name="column"))
    long = long.join(parts, on="column")
    return long[SITES_LONG_COLUMNS].reset_index(drop=True)


def compute_long(plan: Plan, compute: pd.DataFrame) -> pd.DataFrame:
    """compute.csv in long form: one row per period, vendor (empty for fleet totals) and quantity."""
    vendors = {accelerator.vendor for accelerator in plan.catalog.values()}
    values = [c for c in compute.columns if c != "period"]
    long = _melted(compute, ["period"], values)
    by_vendor = {f"bf16_pflops_{vendor}": vendor for vendor in vendors}
    long["vendor"] = long["column"].map(lambda c: by_vendor.get(c, ""))
    long["quantity"] = long["column"].map(lambda c: "bf16_pflops" if c in by_vendor else c)
    return long.dropna(subset=["value"])[COMPUTE_LONG_COLUMNS].reset_index(drop=True)


def write_tables(folder: OutputFolder, plan: Plan, tables: Tables, formats: tuple[str, ...]) -> None:
    """Write every table of a report as CSV (`NAME.csv`), and in each other format asked for."""
    write_named(folder, table_set(plan, tables), formats)


def write_named(folder: OutputFolder, named: dict[str, pd.DataFrame], formats: tuple[str, ...]) -> None:
    """Write each table as `NAME.csv`, and as `NAME.parquet` and in `tables.xlsx` when asked for."""
    for name, table in named.items():
        folder.write_csv(f"{name}.csv", table)
    if "parquet" in formats:
        for name, table in named.items():
            buffer = io.BytesIO()
            table.to_parquet(buffer, index=False)
            folder.write_bytes(f"{name}.parquet", buffer.getvalue())
    if "xlsx" in formats:
        folder.write_bytes(WORKBOOK, workbook(named))


def workbook(named: dict[str, pd.DataFrame]) -> bytes:
    """One .xlsx with a sheet per table (in order), each with its header row frozen. A table longer
    than a sheet holds is cut, and its sheet's name says so (`constraints (first 1048575)`): the CSV
    and Parquet files hold it whole."""
    import pandas as pd  # noqa: PLC0415

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in named.items():
            sheet = name
            if len(table) >= EXCEL_MAX_ROWS:
                table = table.head(EXCEL_MAX_ROWS - 1)
                sheet = f"{name[:15]} (first {EXCEL_MAX_ROWS - 1})"
            table.to_excel(writer, sheet_name=sheet, index=False, freeze_panes=(1, 0))
    return _without_times(buffer.getvalue())


def _without_times(workbook_bytes: bytes) -> bytes:
    """The workbook with the time it was written taken out (its parts' zip times and the document's
    created and modified dates), as the PDF leaves its dates out: the same tables give the same bytes."""
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as source, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "docProps/core.xml":
                data = CORE_DATES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<2>", data)
            target.writestr(zipfile.ZipInfo(entry.filename, FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return fixed.getvalue()
