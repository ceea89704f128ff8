"""What every report test shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close what a test drew through pyplot, so figures do not pile up across a module's tests."""
    yield
    import matplotlib.pyplot as plt  # noqa: PLC0415 - after the test modules chose the Agg backend

    plt.close("all")
