"""`plan example`: list the example plans that ship with planner, or copy one into a folder.
Registered on the `plan` app at the end of `planner.cli`."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

from planner.errors import InputError
from planner.exits import EXIT_BAD_INPUT, bad_input, fail


def example_command(
    name: Annotated[str | None, typer.Argument(help="Example to copy, e.g. ohio; none: list them.")] = None,
    folder: Annotated[Path | None, typer.Argument(help="Folder to copy it into \\[default: ./NAME].")] = None,
) -> None:
    """List the example plans, or copy one (with its site files, scenarios and schemas) into a folder."""
    from planner.inputs.examples import example_copies, examples  # noqa: PLC0415

    try:
        if name is None:
            for shipped in examples():
                typer.echo(f"{shipped.name:<28} {shipped.title}")
            return
        copies = example_copies(name)
    except InputError as error:
        bad_input(error)
    folder = folder or Path(name)
    existing = [str(folder / copy.target) for copy in copies if (folder / copy.target).exists()]
    if existing:
        listed = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
        fail(EXIT_BAD_INPUT, f"error: {listed} already exist{'s' if len(existing) == 1 else ''}; nothing was "
                             "written (choose another folder, or remove them)")
    written: list[Path] = []
    try:
        for copy in copies:
            target = folder / copy.target
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as stream:  # "x": never overwrite, even a file that appeared since
                written.append(target)
                stream.write(copy.data)
                stream.flush()
                os.fsync(stream.fileno())
    except OSError as error:
        for path in written:  # all the example's files or none: a cut file would be refused as existing
            with contextlib.suppress(OSError):
                path.unlink()
        fail(EXIT_BAD_INPUT, f"error: cannot write into {folder}: {error.strerror or error}; nothing was written")
    plan = folder / f"{name}.yaml"
    typer.echo(f"{plan}  ({len(copies)} files in {folder}/); solve it with: plan optimize {plan}")
