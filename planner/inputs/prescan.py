"""Counts taken before a file is read, that refuse one holding more values than a plan may.

Reading builds each value in Python (`loading.MAX_VALUES` says what that costs); these counts run in
C over the whole text, at nanoseconds a byte. Each is a bound in one direction only: a file they
refuse holds more values than it may; a file they pass is read, and its values counted exactly.
"""

from __future__ import annotations

import re

import yaml

from planner.errors import InputError, Position, Problem

SEPARATORS_PER_VALUE = 3
"""Separators (commas, colons, line ends) a value may bring: `"key": 1,` and a line end in JSON, a
colon and a line end in YAML. A file with more than this many times `MAX_VALUES` is refused unread;
one with fewer is read, and its values counted exactly as they are."""
EVENTS_PER_VALUE = 3
"""YAML events a value brings at most, in a file the reader takes: its own (a scalar, an alias, a list's
or mapping's start), a list's or mapping's end, and, for a mapping's value, its key's scalar. The reader
counts every value once at least (an alias as all it repeats) and no key, and takes a file only with one
document, plain keys and nothing skipped; so a document of more than 3 x N events holds more than N
values. A file it would refuse for another reason (a tag, a key that is a list) may be refused by this
count first."""

_CountingParser = getattr(yaml, "CSafeLoader", None)
"""PyYAML's loader on libyaml, whose `raw_parse` counts a stream's events in C without making them Python
objects (None without libyaml: every file is then left to the reader's count)."""
_LATER_DOCUMENT = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)
"""A document marker on a line of its own: past the first character, a stream of more than one document
(refused by the reader at the second, whatever its events), which the count would add up."""


def too_many_values(position: Position, key: str, most: int) -> InputError:
    """The refusal of a plan (and the files it includes) holding more than `most` values."""
    return InputError([Problem(position, key, (
        f"expected at most {most:,} values (numbers, texts, lists and mappings) in the plan and the "
        f"files it includes, found more: split the plan, or generate a smaller one"))])


def refuse_by_separators(text: str, display: str, most: int) -> None:
    """Refuse, before reading, text that would hold far more than `most` values. Every value but the
    first is preceded by a separator (a comma, a colon or a line end), so their count, taken in C by
    `str.count`, bounds the values a file can hold to within a small factor; the reader counts them
    exactly.

    Raises:
        InputError: The separators are more than `SEPARATORS_PER_VALUE` x `most`.
    """
    separators = text.count(",") + text.count(":") + text.count("\n") + text.count("\r")
    if separators > SEPARATORS_PER_VALUE * most:
        message = (f"expected at most {most:,} values (numbers, texts, lists and mappings), found "
                   f"{separators:,} separators (commas, colons, line ends): split the plan, or generate a smaller one")
        raise InputError([Problem(Position(display, 1, 1), "", message)])


def refuse_by_events(text: str, display: str, budget: int, most: int) -> None:
    """Refuse, before reading, text whose one document holds more than `budget` values (what the plan's
    `most` leaves it), by libyaml's count of its events (`EVENTS_PER_VALUE`): a dense file (`[1,1,...]`,
    `[{a: 1},...]`, short lists nested) holds a value in 2 to 6 bytes, and reading each costs what
    counting the events of about 30 bytes does. Text of no more bytes than its budget is left to the
    reader, as is text that is not valid YAML (the reader says where) or holds more than one document.

    Raises:
        InputError: The events are more than `EVENTS_PER_VALUE` x `budget`, with the reader's message.
    """
    if _CountingParser is None or len(text) <= budget or _LATER_DOCUMENT.search(text, 1) is not None:
        return
    try:
        events = _CountingParser(text).raw_parse()
    except yaml.YAMLError:
        return
    stream_and_document = 4  # their start and end events, which hold no value
    if events - stream_and_document > EVENTS_PER_VALUE * budget:
        raise too_many_values(Position(display, 1, 1), "", most)
