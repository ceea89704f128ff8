"""docs/examples/quickstart.ipynb runs top to bottom (issue 16: "an example notebook that CI executes")."""

from __future__ import annotations

import os

import pytest

from tests.conftest import REPO

NOTEBOOK = REPO / "docs" / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_runs(monkeypatch):
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core warns (an error here) without it
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute(env=environment)
    shown = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    assert not [output for output in shown if output.get("output_type") == "error"]
    text = "".join(output.get("text", "") for output in shown)
    assert text.startswith("optimal ")
    assert "with $6B of capex in 2027:" in text
