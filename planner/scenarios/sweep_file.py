"""Sweep files (`plan sweep --sweep FILE`): fixed overrides, a grid of values, or distributions,
and how a distribution is drawn from (`--samples N --seed S`) and summed up by its quantiles."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field, model_validator

from planner.inputs import schema
from planner.inputs.loading import Document, load_file
from planner.inputs.validation import validate
from planner.scenarios.plan_tree import Slot, as_number


class Choices(schema.StrictModel):
    """Values with weights (equal by default)."""

    values: list[float | int | str] = Field(min_length=1, max_length=1_000)
    weights: list[Annotated[float, Field(ge=0)]] | None = None


class Draw(schema.StrictModel):
    """One input's distribution: exactly one of the keys."""

    uniform_factor: list[float] | None = Field(default=None, min_length=2, max_length=2)
    """Multiply the plan's number by a factor drawn uniformly from [low, high]."""
    triangular_factor: list[float] | None = Field(default=None, min_length=3, max_length=3)
    """Multiply by a factor from a triangular distribution [low, mode, high]."""
    uniform: list[float | str] | None = Field(default=None, min_length=2, max_length=2)
    """Set a value drawn uniformly from [low, high] (numbers or unit strings)."""
    slip_quarters: list[int] | Choices | None = None
    """Shift a quarter: [low, high] whole quarters, uniform, or {values, weights}."""
    choice: Choices | None = None
    """Set one of the values."""

    @model_validator(mode="after")
    def _one(self) -> Draw:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one distribution, found {len(given)}: {', '.join(given) or 'none'}")
        bounds = self.uniform_factor or self.triangular_factor
        if bounds is not None and (min(bounds) <= 0 or sorted(bounds) != bounds):
            raise ValueError("factors must be positive and in order (low, [mode,] high)")
        if isinstance(self.slip_quarters, list) and (len(self.slip_quarters) != 2 or
                                                     self.slip_quarters[0] > self.slip_quarters[1]):
            raise ValueError("slip_quarters: expected [low, high] whole quarters, low <= high")
        for choices in (self.choice, self.slip_quarters):
            if isinstance(choices, Choices) and choices.weights is not None and (
                    len(choices.weights) != len(choices.values) or sum(choices.weights) <= 0):
                raise ValueError("weights: one per value, not all zero")
        return self


class SweepFile(schema.StrictModel):
    """A sweep file: fixed overrides, a grid of values, or distributions to sample."""

    title: schema.Text | None = None
    set: dict[str, Any] = {}
    """Overrides applied to every run, as `--set` (path: value)."""
    grid: dict[str, list[Any]] = {}
    """Values of each path; several paths make a product grid."""
    samples: dict[str, Draw] = {}
    """Distributions of each path, drawn `--samples N` times with `--seed S`."""


def quantile(draw: Draw, slot: Slot, q: float) -> Any:
    """The q-quantile of a distribution (for the one-at-a-time runs)."""
    if draw.uniform_factor:
        low, high = draw.uniform_factor
        return round(low + q * (high - low), 4)
    if draw.triangular_factor:
        low, mode, high = draw.triangular_factor
        if high == low:
            return low
        split = (mode - low) / (high - low)
        if q < split:
            return round(low + math.sqrt(q * (high - low) * (mode - low)), 4)
        return round(high - math.sqrt((1 - q) * (high - low) * (high - mode)), 4)
    if draw.uniform:
        low, high = (as_number(v, slot) for v in draw.uniform)
        return float(f"{low + q * (high - low):.6g}")
    choices = draw.slip_quarters if draw.slip_quarters is not None else draw.choice
    if isinstance(choices, list):
        return int(choices[0] + math.floor(q * (choices[1] - choices[0] + 1 - 1e-9)))
    assert choices is not None
    weights = choices.weights or [1.0] * len(choices.values)
    pairs = list(zip(choices.values, weights, strict=True))
    if all(isinstance(v, int | float) for v in choices.values):
        pairs.sort(key=lambda pair: float(pair[0]))
    total, running = sum(weights), 0.0
    for value, weight in pairs:
        running += weight
        if running >= q * total - 1e-12:
            return value
    return pairs[-1][0]


def draw_words(draw: Draw) -> str:
    """A distribution as a person reads it: `x0.85 to x1.15, uniform` (x: times the plan's value)."""
    if draw.uniform_factor:
        low, high = draw.uniform_factor
        return f"x{low:g} to x{high:g}, uniform"
    if draw.triangular_factor:
        low, mode, high = draw.triangular_factor
        return f"x{low:g} to x{high:g}, triangular, most likely x{mode:g}"
    if draw.uniform:
        first, last = (f"{v:g}" if isinstance(v, float) else str(v) for v in draw.uniform)
        return f"{first} to {last}, uniform"
    if isinstance(draw.slip_quarters, list):
        fewest, most = draw.slip_quarters
        return f"{fewest:+d} q to {most:+d} q, each as likely"
    choices = draw.slip_quarters if draw.slip_quarters is not None else draw.choice
    assert choices is not None
    weights = choices.weights or [1.0] * len(choices.values)
    total = sum(weights)
    slip = draw.slip_quarters is not None
    shown = [f"{v:+d} q" if slip and isinstance(v, int) else str(v) for v in choices.values]
    listed = ", ".join(f"{value} ({100 * weight / total:.0f}%)" for value, weight in zip(shown, weights, strict=True))
    return listed if slip else f"one of {listed}"


def draw_value(draw: Draw, slot: Slot, rng: np.random.Generator) -> Any:
    """One draw, rounded so the value in sweep.csv reproduces the run exactly."""
    if draw.uniform_factor:
        return round(float(rng.uniform(draw.uniform_factor[0], draw.uniform_factor[1])), 4)
    if draw.triangular_factor:
        low, mode, high = draw.triangular_factor
        return low if low == high else round(float(rng.triangular(low, mode, high)), 4)
    if draw.uniform:
        low, high = (as_number(v, slot) for v in draw.uniform)
        return float(f"{rng.uniform(low, high):.6g}")
    choices = draw.slip_quarters if draw.slip_quarters is not None else draw.choice
    if isinstance(choices, list):
        return int(rng.integers(choices[0], choices[1] + 1))
    assert choices is not None
    weights = np.array(choices.weights or [1.0] * len(choices.values), dtype=float)
    return choices.values[int(rng.choice(len(choices.values), p=weights / weights.sum()))]


def read_sweep_file(path: Path) -> tuple[SweepFile, Document]:
    """Load and validate a sweep file (errors with file:line:column)."""
    document = load_file(path)
    return validate(SweepFile, document), document
