"""Open a written HTML page in a real headless browser (Debian's chromium) and read what it drew.

Tests that need it skip, saying why, where no chromium is installed (`apt-get install chromium`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] (.*)")


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


needs_browser = pytest.mark.skipif(browser() is None,
                                   reason="no headless chromium installed (apt-get install chromium)")


@dataclass(frozen=True)
class Opened:
    dom: str
    """The page's DOM after its scripts ran."""
    console: list[str]
    """Every message the page logged to its console (errors, warnings, uncaught exceptions)."""

    def attribute(self, name: str) -> str | None:
        found = re.search(rf'<body[^>]*\b{name}="([^"]*)"', self.dom)
        return None if found is None else found.group(1)


def open_page(page: Path, profile: Path) -> Opened:
    """Load `page` from disk with no network, let its scripts run, and return its DOM and console."""
    command = [browser() or "chromium", "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
               "--proxy-server=127.0.0.1:9", "--dump-dom", page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return Opened(done.stdout, [m.group(1) for m in CONSOLE.finditer(done.stderr)])
