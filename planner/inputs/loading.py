"""Safe YAML to plain Python data, with the file:line:column of every key kept.

PyYAML's C parser reads the text into events, and this module builds dicts, lists and scalars from
them itself, with no node tree in between (half the time and memory of composing one), so that it can:
- refuse duplicate keys, explicit tags (`!!python/object`) and merge keys;
- read scalars by YAML 1.2 core rules (`yes`, `NO`, `0755` stay strings; `1e9` is a float);
- cap the expanded size, so an alias bomb ("billion laughs") is refused, not expanded, and refuse a
  list or mapping longer than any the schema takes as soon as it is;
- resolve `{include: FILE}` mappings inside the plan's folder only.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from planner.errors import InputError, Position, Problem, path_to_key
from planner.inputs.gate import not_a_file, printable, read_input, resolve_inside
from planner.inputs.prescan import refuse_by_events, refuse_by_separators, too_many_values

MAX_FILE_BYTES = 32_000_000
"""Bytes read of one file at most, whatever it claims (a 2,000-site plan is about 1.2 MB); what is read
is bounded by `MAX_VALUES`."""
MAX_EXPANSION = 10
"""Aliases may expand a document to at most this many times its own nodes..."""
MIN_NODE_BUDGET = 10_000
"""...or to this many nodes, whichever is more: a "billion laughs" file stops here, fast."""
MAX_VALUES = 100_000
"""Values (each number, text, list and mapping; keys are not counted) a plan and the files it includes may
hold in all, aliases and repeated includes counted each time, as the reader counts them. The largest plan
`plan generate` writes holds 78,745 (2,000 sites, 166 parts and one quarter, the most `MAX_SITES` and the
LP's size cap allow; 1.25 MB), the shipped plans at most 413, a detailed campus 100 to 300. Reading costs
4 to 10 us and about 400 bytes a value, so this bounds what any file costs before the schema sees it: 0.5
to 1 s and 40 to 55 MB (load_file, fresh process). A dense file (`[1,1,...]`, 2 bytes a value) reaches it
in 200 kB; at 200,000 it cost 2.1-2.8 s and 194 MB to refuse. A file of far more is refused before it is
read, by a count of its separators or of its YAML events (`planner.inputs.prescan`)."""
MAX_SITES = 2_000
"""Sites a plan may hold: far more than any fleet (tens of campuses), and, with one part and one
quarter, about what `MAX_VALUES` and the LP's size cap (`planner.model.size`) allow."""
MAX_DEPTH = 32
"""Lists and mappings nested at most this deep in one file: a plan nests 7 (a site's power source's
phases); each level deeper adds to what every value under it costs (its key path)."""
MAX_INCLUDE_DEPTH = 8
MAX_ITEMS = MAX_SITES
"""Items of one list, or keys of one mapping: the longest list the schema takes (sites). A longer
one is refused as it is read, before the schema checks each of its items (150,000 invalid sites cost
16 s and 530 MB there, to be refused for their number in the end)."""

KeyPath = tuple[str | int, ...]

STDIN = Path("-")
"""The name of a plan read from standard input (`plan optimize -`), in `Document.files`."""
STDIN_DISPLAY = "<stdin>"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The C parser when available; scalars are resolved by this module, not by PyYAML."""


# Every implicit resolver is dropped: a plain scalar's type is decided by `_scalar` below.
_Loader.yaml_implicit_resolvers = {}

_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
# A leading zero (`0755`) is octal in YAML 1.1 and decimal in 1.2: neither reading is safe,
# so such a scalar stays a string and the number check refuses it with what it found.
_SPECIAL_FLOAT = {
    **{f"{sign}{word}": float(f"{sign or '+'}inf") for sign in ("", "+", "-") for word in (".inf", ".Inf", ".INF")},
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}
"""YAML 1.2 core's infinities (each sign, each spelling) and not-a-numbers."""
_WORDS: dict[str, Any] = {"": None, "~": None, "null": None, "Null": None, "NULL": None, **_BOOL, **_SPECIAL_FLOAT}
"""Plain scalars that are not text: nulls, booleans, infinities and not-a-numbers (none reads as a number)."""
_NUMBER_STARTS = frozenset("+-.0123456789")
"""The first characters of every scalar `_INT`, `_HEX` and `_FLOAT` match."""
_MAX_INT_DIGITS = 30
_TAG = "tag:yaml.org,2002:"
_TAGS_OF: dict[type, frozenset[str]] = {
    yaml.MappingStartEvent: frozenset({_TAG + "map"}), yaml.SequenceStartEvent: frozenset({_TAG + "seq"}),
    yaml.ScalarEvent: frozenset(f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null")),
}
"""The explicit standard tags each kind of node may carry: a list tagged `!!map` is refused."""


@dataclass
class Document:
    """Plain data read from one or more YAML files, and where each key path came from."""

    data: Any
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    digests: dict[Path, str] = field(default_factory=dict)
    """SHA-256 of the bytes parsed, by file: provenance for a plan read from stdin, which has no file."""
    values: int = 0
    """Values read so far, in every file: within `MAX_VALUES` for the whole plan."""

    def position(self, path: KeyPath) -> Position | None:
        """The position of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def problem(self, path: KeyPath, message: str) -> Problem:
        """A Problem at `path`, with its file position."""
        return Problem(self.position(path), path_to_key(path), message)


def _tagged(text: str, tag: str) -> Any:
    """A scalar with an explicit standard tag (`!!str 123` is text; `!!int "5"` the number 5).

    Raises:
        ValueError: The text is not what the tag says (`!!int x`).
    """
    kind = tag.removeprefix(_TAG)
    if kind == "str":
        return text
    value = _scalar(text, None)
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    expected = {"int": int, "bool": bool, "null": type(None)}.get(kind)
    if expected is None or isinstance(value, bool) != (kind == "bool") or not isinstance(value, expected):
        raise ValueError(f"expected {'an' if kind == 'int' else 'a'} {kind} after !!{kind}, found '{text}'")
    return value


def _scalar(text: str, style: str | None) -> Any:
    """A scalar by YAML 1.2 core rules; quoted and block scalars are always strings."""
    if style in ("'", '"', "|", ">"):
        return text
    if text in _WORDS:
        return _WORDS[text]
    if text[:1] not in _NUMBER_STARTS:  # most text: no number can start so
        return text
    if _INT.match(text):
        if len(text.lstrip("+-")) > _MAX_INT_DIGITS:
            return float(text)  # a 1,000-digit integer becomes a huge float, refused by bounds
        return int(text)
    if _HEX.match(text):
        return int(text, 16)
    if _FLOAT.match(text):
        return float(text)
    return text


@dataclass(frozen=True)
class _Anchored:
    """A node with an anchor (`&name`), for its aliases (`*name`) to repeat."""

    value: Any
    positions: tuple[tuple[KeyPath, Position], ...]
    """Positions inside it, relative to it (`()` is its own)."""
    nodes: int
    text: str | None
    """A scalar's text as written (an alias used as a key repeats it)."""


class _Reader:
    """Builds one document's plain data from PyYAML's event stream, recording the position of every key
    and value; no node tree is composed. Problems that leave the rest readable are collected; a list or
    mapping that is too long, or aliases that expand too far, stop the reading at once."""

    def __init__(self, text: str, display: str, budget: int) -> None:
        self.parser = _Loader(text)
        self.anchored = "&" in text
        """Whether a node may have an anchor: only then are positions also kept in order."""
        self.display = display
        self.budget = budget
        """Values this file may still hold (or repeat through aliases): what the document's others left."""
        self.written = 0
        """Nodes as written: what aliases may repeat `MAX_EXPANSION` times."""
        self.repeated = 0
        self.positions: dict[KeyPath, Position] = {}
        self.recorded: list[tuple[KeyPath, Position]] = []
        """`positions` in the order recorded: an anchored node's are the slice read while it was."""
        self.problems: list[Problem] = []
        self.anchors: dict[str, _Anchored] = {}
        self.nodes = 0

    def position(self, event: yaml.Event) -> Position:
        mark = event.start_mark
        return Position(self.display, mark.line + 1, mark.column + 1) if mark else Position(self.display, 1, 1)

    def fail(self, event: yaml.Event, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.position(event), path_to_key(path), message))

    def record(self, path: KeyPath, position: Position) -> None:
        if path not in self.positions:
            self.positions[path] = position
            if self.anchored:
                self.recorded.append((path, position))

    def document(self) -> tuple[bool, Any]:
        """(False, None) for a stream without a document (an empty file), else (True, its data).

        Raises:
            InputError: Not valid YAML, more than one document, a collection too long, or aliases
                that expand too far.
        """
        parser = self.parser
        try:
            parser.get_event()  # the stream's start
            if parser.check_event(yaml.StreamEndEvent):
                return False, None
            parser.get_event()  # the document's start
            data = self.node((), 0)
            parser.get_event()  # the document's end
            if not parser.check_event(yaml.StreamEndEvent):
                raise self._invalid(parser.get_event(), "expected one document, found another ('---')")
            return True, data
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            position = Position(self.display, mark.line + 1, mark.column + 1) if mark else None
            reason = error.problem or error.context or "invalid YAML"
            raise InputError([Problem(position, "", f"invalid YAML: {reason}")]) from None
        except yaml.YAMLError as error:
            raise InputError([Problem(Position(self.display, 1, 1), "", f"invalid YAML: {error}")]) from None
        finally:
            parser.dispose()

    def _invalid(self, event: yaml.Event, reason: str) -> InputError:
        return InputError([Problem(self.position(event), "", f"invalid YAML: {reason}")])

    def _too_large(self, event: yaml.Event, path: KeyPath) -> InputError:
        message = (f"expected aliases to repeat at most {MAX_EXPANSION}x what the file writes (or "
                   f"{MIN_NODE_BUDGET:,} values) and nesting at most {MAX_DEPTH} deep; found more (aliases that "
                   "expand too far?)")
        return InputError([Problem(self.position(event), path_to_key(path), message)])

    def node(self, path: KeyPath, depth: int) -> Any:
        """The next node's data (its events read), at `path`."""
        event = self.parser.get_event()
        if depth > MAX_DEPTH:
            raise self._too_large(event, path)
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, path)
        self.nodes += 1
        if self.nodes > self.budget:
            raise self._too_many(event, path)
        self.written += 1
        if isinstance(event, yaml.ScalarEvent) and event.tag is None and event.anchor is None:
            # Most nodes are such scalars: read without the checks below, and a mapping's value without a
            # position of its own (its key's is recorded).
            if path not in self.positions:  # checked before the Position is made: most paths have their key's
                self.record(path, self.position(event))
            return _scalar(event.value, event.style)
        assert isinstance(event, yaml.NodeEvent)
        started, nodes = len(self.recorded), self.nodes
        if path not in self.positions:
            self.record(path, self.position(event))
        tag = getattr(event, "tag", None)  # a node's explicit tag (`!!python/object`, `!!str`), if any
        value: Any = None
        if tag not in (None, "!") and tag not in _TAGS_OF[type(event)]:
            self.fail(event, path, f"expected plain YAML, found the tag '{tag}'")
            self._skip_rest(event)
        elif isinstance(event, yaml.MappingStartEvent):
            value = self._mapping(event, path, depth)
        elif isinstance(event, yaml.SequenceStartEvent):
            value = self._sequence(event, path, depth)
        else:
            assert isinstance(event, yaml.ScalarEvent)
            value = self._scalar_value(event, path, tag)
        self._anchor(event, path, value, started, nodes)
        return value

    def _scalar_value(self, event: yaml.ScalarEvent, path: KeyPath, tag: str | None) -> Any:
        """A scalar's value by YAML 1.2 core rules, or as its explicit standard tag says (`! x`, the
        non-specific tag, makes it text)."""
        if tag is None:
            return _scalar(event.value, event.style)
        if tag == "!":
            return event.value
        try:
            return _tagged(event.value, tag)
        except ValueError as error:
            self.fail(event, path, str(error))
            return None

    def _anchor(self, event: yaml.NodeEvent, path: KeyPath, value: Any, started: int, nodes: int) -> None:
        """Keep a node with an anchor (`&name`) for its aliases."""
        if event.anchor is not None:
            inside = tuple((p[len(path):], position) for p, position in self.recorded[started:])
            text = event.value if isinstance(event, yaml.ScalarEvent) else None
            self._keep(event, _Anchored(value, inside, self.nodes - nodes + 1, text))

    def _keep(self, event: yaml.NodeEvent, anchored: _Anchored) -> None:
        if event.anchor in self.anchors:
            raise self._invalid(event, f"found the anchor '&{event.anchor}' twice")
        self.anchors[str(event.anchor)] = anchored

    def _count_values(self, event: yaml.Event, path: KeyPath, more: int) -> None:
        """Count `more` values repeated by an alias, within `MAX_VALUES` for the whole document (includes
        too) and, for what aliases repeat, `MAX_EXPANSION` times what is written."""
        self.nodes += more
        if self.nodes > self.budget:
            raise self._too_many(event, path)

    def _too_many(self, event: yaml.Event, path: KeyPath) -> InputError:
        return too_many_values(self.position(event), path_to_key(path), MAX_VALUES)

    def _alias(self, event: yaml.AliasEvent, path: KeyPath) -> Any:
        anchored = self.anchors.get(event.anchor or "")
        if anchored is None:
            raise self._invalid(event, f"found the alias '*{event.anchor}' before its anchor (or inside it)")
        self.repeated += anchored.nodes
        if self.repeated > max(MIN_NODE_BUDGET, MAX_EXPANSION * self.written):
            raise self._too_large(event, path)
        self._count_values(event, path, anchored.nodes)
        for relative, position in anchored.positions:
            self.record((*path, *relative), position)
        return copy.deepcopy(anchored.value)  # each use its own data, as if written out

    def _mapping(self, start: yaml.MappingStartEvent, path: KeyPath, depth: int) -> dict[str, Any]:
        parser = self.parser
        out: dict[str, Any] = {}
        entries = 0
        while not parser.check_event(yaml.MappingEndEvent):
            if entries == MAX_ITEMS:
                raise self._too_long(start, path, "keys")
            entries += 1
            key_event = parser.peek_event()
            key = self._key(key_event)
            if key is None:
                self.fail(key_event, path, "expected a plain key, found a mapping or list as key")
                self._skip()
                self._skip()
                continue
            parser.get_event()
            key_tag = getattr(key_event, "tag", None)
            if key_tag not in (None, "!", _TAG + "str"):
                self.fail(key_event, path, f"expected a plain key, found the tag '{key_tag}'")
                self._skip()
                continue
            if isinstance(key_event, yaml.ScalarEvent) and key_event.anchor is not None:  # `&k a: 1`, `b: *k`
                self._keep(key_event, _Anchored(_scalar(key, key_event.style), (((), self.position(key_event)),),
                                                1, key))
            if key == "<<" and isinstance(key_event, yaml.ScalarEvent) and not key_event.style:  # plain: ""
                self.fail(key_event, path, "merge keys ('<<') are not supported; repeat the keys")
                self._skip()
                continue
            if key in out:
                first = self.positions.get((*path, key))
                where = f" (first at line {first.line})" if first else ""
                self.fail(key_event, (*path, key), f"duplicate key{where}")
                self._skip()
                continue
            self.record((*path, key), self.position(key_event))
            out[key] = self.node((*path, key), depth + 1)
        parser.get_event()
        return out

    def _key(self, event: yaml.Event) -> str | None:
        """A mapping key's text as written (a scalar, or an alias of one); None for any other."""
        if isinstance(event, yaml.ScalarEvent):
            return str(event.value)
        if isinstance(event, yaml.AliasEvent):
            anchored = self.anchors.get(event.anchor or "")
            return anchored.text if anchored is not None else None
        return None

    def _sequence(self, start: yaml.SequenceStartEvent, path: KeyPath, depth: int) -> list[Any]:
        out: list[Any] = []
        at_end, node = self.parser.check_event, self.node  # looked up once: a list may hold 2,000 items
        while not at_end(yaml.SequenceEndEvent):
            if len(out) == MAX_ITEMS:
                raise self._too_long(start, path, "items")
            out.append(node((*path, len(out)), depth + 1))
        self.parser.get_event()
        return out

    def _too_long(self, start: yaml.Event, path: KeyPath, what: str) -> InputError:
        return InputError([Problem(self.position(start), path_to_key(path),
                                   f"expected at most {MAX_ITEMS:,} {what}, found more")])

    def _skip(self) -> None:
        """Read past the next node, whole, without building it."""
        self._skip_rest(self.parser.get_event())

    def _skip_rest(self, event: yaml.Event) -> None:
        """Read past the rest of the node that `event` starts."""
        open_collections = 1 if isinstance(event, yaml.CollectionStartEvent) else 0
        while open_collections:
            event = self.parser.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                open_collections += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                open_collections -= 1


def display_name(path: Path) -> str:
    """The path as the user would write it: relative to the working folder when inside it."""
    if path == STDIN:
        return STDIN_DISPLAY
    try:
        return printable(str(path.relative_to(Path.cwd())))
    except (ValueError, OSError):
        return printable(str(path))


def _read_bytes(path: Path, display: str) -> bytes:
    """The file's bytes, through the one input gate (regular files of bounded size only)."""
    return read_input(path, display, MAX_FILE_BYTES)


def _text(raw: bytes, display: str) -> str:
    if len(raw) > MAX_FILE_BYTES:
        message = f"expected at most {MAX_FILE_BYTES:,} bytes, found {len(raw):,}"
        raise InputError([Problem(Position(display, 1, 1), "", message)])
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte-order mark, as some Windows editors write: harmless
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"expected UTF-8 text, found the byte 0x{raw[error.start]:02x}"
        raise InputError([Problem(Position(display, line, column), "", message)]) from None


def load_file(path: Path, root: Path | None = None) -> Document:
    """Read one YAML file (and the files it includes) into a Document.

    Args:
        path: The file to read.
        root: The folder includes must stay inside; the file's own folder by default.

    Raises:
        InputError: The file cannot be read, is not valid YAML, or breaks a rule above.
    """
    root = resolve_inside(root or path.parent, display_name(path), "", None)
    document = Document(data=None)
    document.data = _load_into(path, root, document, (), depth=0)
    return document


def read_stream(stream: BinaryIO) -> bytes:
    """The bytes of a plan piped in (standard input), read up to `MAX_FILE_BYTES` and no further: a pipe
    from /dev/zero or `yes` is refused once past the limit, not read until memory runs out.

    Raises:
        InputError: More than `MAX_FILE_BYTES` bytes.
    """
    raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise InputError([Problem(Position(STDIN_DISPLAY, 1, 1), "",
                                  f"expected at most {MAX_FILE_BYTES:,} bytes, found more")])
    return raw


def load_stdin(raw: bytes, root: Path) -> Document:
    """Read a plan given on standard input (the bytes read from it) by the rules of a file in
    `root` (the working folder): its includes are read from there.

    Raises:
        InputError: The text is not valid YAML, or breaks a rule of `load_file`.
    """
    document = Document(data=None)
    document.data = _load_into(STDIN, root.resolve(), document, (), depth=0, raw=raw)
    return document


def load_text(text: str, name: str) -> Document:
    """Read YAML `text` (a value typed on the command line, called `name` in messages) by the same
    rules as a plan file. It is no file, so it includes none: every include is refused as lying
    outside its folder."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:  # a command-line value with a byte that is not UTF-8
        raise InputError([Problem(Position(name, 1, error.start + 1), "",
                                  f"expected UTF-8 text, found '{printable(text[error.start:error.end])}'")]) from None
    document = Document(data=None)
    document.data = _load_into(Path(name), Path(os.devnull), document, (), depth=0, text=text)
    return document


def _load_into(path: Path, root: Path, document: Document, prefix: KeyPath, depth: int,
               text: str | None = None, raw: bytes | None = None) -> Any:
    display = display_name(path)
    if text is None:
        raw = _read_bytes(path, display) if raw is None else raw
        document.files.append(path)
        document.digests[path] = hashlib.sha256(raw).hexdigest()
        text = _text(raw, display)
    # One budget for the plan and every file it includes, each include counted each time it is read.
    budget = MAX_VALUES - document.values
    refuse_by_separators(text, display, MAX_VALUES)
    refuse_by_events(text, display, budget, MAX_VALUES)
    reader = _Reader(text, display, budget)
    found, data = reader.document()
    document.values += reader.nodes
    if not found:
        raise InputError([Problem(Position(display, 1, 1), "", "expected a YAML mapping, found an empty file")])
    if reader.problems:
        raise InputError(reader.problems)
    positions = reader.positions
    for key_path, position in positions.items():
        document.positions[(*prefix, *key_path)] = position
    return _resolve_includes(data, (), path, root, document, prefix, depth)


def _resolve_includes(
    data: Any, path: KeyPath, file: Path, root: Path, document: Document, prefix: KeyPath, depth: int
) -> Any:
    """Replace every `{include: FILE}` mapping by the data of FILE, read from inside `root`."""
    if isinstance(data, dict):
        if set(data) == {"include"}:
            return _include(data["include"], path, file, root, document, prefix, depth)
        return {
            key: _resolve_includes(value, (*path, key), file, root, document, prefix, depth)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [
            _resolve_includes(value, (*path, i), file, root, document, prefix, depth)
            for i, value in enumerate(data)
        ]
    return data


def _include(
    target: Any, path: KeyPath, file: Path, root: Path, document: Document, prefix: KeyPath, depth: int
) -> Any:
    full_path = (*prefix, *path)
    key_path = (*full_path, "include")
    if not isinstance(target, str) or not target:
        raise InputError([document.problem(key_path, f"expected a file name, found {target!r}")])
    if depth >= MAX_INCLUDE_DEPTH:
        message = f"expected includes nested at most {MAX_INCLUDE_DEPTH} deep (a cycle?)"
        raise InputError([document.problem(key_path, message)])
    relative = Path(target)
    if relative.is_absolute() or ".." in relative.parts:
        message = f"expected a path inside the plan's folder, found '{printable(target)}'"
        raise InputError([document.problem(key_path, message)])
    candidate = file.parent / relative
    resolved = resolve_inside(candidate, target, path_to_key(key_path), document.position(key_path))
    if not resolved.is_relative_to(root):
        message = f"expected a path inside the plan's folder, found '{printable(target)}' leading outside it"
        raise InputError([document.problem(key_path, message)])
    refused = not_a_file(resolved)
    if refused is not None:
        raise InputError([document.problem(key_path, f"{refused}: '{printable(target)}'")])
    document.positions.pop(key_path, None)
    return _load_into(resolved, root, document, full_path, depth + 1)
