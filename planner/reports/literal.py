"""User text on charts and PDF pages is drawn as written.

A title, a site name or a scenario's name may hold `$` signs (`$2.5B`, `Site $A$`): matplotlib
would read an even number of them as mathtext, and crash on what is not valid TeX. Every function
that draws for a report runs under `literal_text()`: mathtext and TeX are off for every Text made
within it (matplotlib's public `text.parse_math` and `text.usetex` settings).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib


@contextlib.contextmanager
def literal_text() -> Iterator[None]:
    """Within the block (or the function it decorates), text is drawn literally: no mathtext, no TeX."""
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        yield


__all__ = ["literal_text"]
