"""Scenarios: overlays and `--set` overrides of a plan, what-ifs side by side, and sweeps on a
process pool or a Dask cluster."""
