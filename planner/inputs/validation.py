"""Validate loaded YAML against a pydantic model; turn its errors into positioned Problems."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from planner.errors import InputError, KeyedValueError, Problem
from planner.inputs.loading import Document, KeyPath

_MAX_FOUND_CHARS = 60
MAX_PROBLEMS_DESCRIBED = 200
"""Schema errors turned into positioned problems; the rest are counted. A file can hold 100,000 bad
values, and describing each (its position, a close key for an unknown one) costs more than the
check: no one reads past the first screen (the terminal shows 50)."""


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    if len(text) > _MAX_FOUND_CHARS:
        text = text[: _MAX_FOUND_CHARS - 3] + "..."
    return text


def _allowed_keys(model: type[BaseModel], path: KeyPath) -> list[str]:
    """The keys a mapping at `path` (relative to `model`) may hold, found by walking fields."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return []
        field = next((f for name, f in fields.items() if (f.alias or name) == part), None)
        if field is None:
            return []
        current = _model_in(field.annotation)
    fields = getattr(current, "model_fields", {})
    return [f.alias or name for name, f in fields.items()]


def _model_in(annotation: Any) -> Any:
    """The BaseModel class inside an annotation like `list[Site]` or `Expansion | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _message(model: type[BaseModel], error: Any, path: KeyPath) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, path[:-1])
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        listed = f"; expected one of: {', '.join(allowed)}" if allowed and not close else ""
        return f"unknown key{hint}{listed}"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
        if "found" in message:
            return message
    return f"{message}; found {_found(error.get('input'))}"


def validate[M: BaseModel](model: type[M], document: Document) -> M:
    """Validate `document.data` as `model`, raising one InputError with every problem.

    Raises:
        InputError: Each pydantic error as `file:line:col: key: message; found value`.
    """
    if not isinstance(document.data, dict):
        raise InputError([document.problem((), f"expected a YAML mapping at the top, found {_found(document.data)}")])
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        problems: list[Problem] = []
        for item in error.errors(include_url=False)[:MAX_PROBLEMS_DESCRIBED]:
            path = tuple(part for part in item["loc"] if isinstance(part, str | int))
            cause = (item.get("ctx") or {}).get("error")
            if isinstance(cause, KeyedValueError):  # it names the entry it is about
                path = (*path, *cause.where)
            path = _trim_to_data(document.data, path)
            problems.append(document.problem(path, _message(model, item, path)))
        raise InputError(problems, error.error_count()) from None


def _trim_to_data(data: Any, path: KeyPath) -> KeyPath:
    """Drop loc parts pydantic adds that are not keys of the data (union member names)."""
    kept: list[str | int] = []
    current = data
    for part in path:
        if isinstance(current, dict) and isinstance(part, str):
            kept.append(part)
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            kept.append(part)
            current = current[part]
        elif current is None or not isinstance(current, dict | list):
            break
    return tuple(kept)
