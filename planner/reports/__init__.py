"""Reports: the terminal summary, charts, report.pdf and the report folder. Never imports the
solver stack (checked by import-linter in CI)."""
