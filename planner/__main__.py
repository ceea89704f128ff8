"""`python -m planner`: the `plan` command."""

from planner.cli import main

main()
