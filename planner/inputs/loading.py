"""Safe YAML to plain Python data, with the file:line:column of every key kept.

PyYAML composes the document into nodes (its safe composer: no tags, no objects), and this
module turns the nodes into dicts, lists and scalars itself, so that it can:
- refuse duplicate keys, explicit tags (`!!python/object`) and merge keys;
- read scalars by YAML 1.2 core rules (`yes`, `NO`, `0755` stay strings; `1e9` is a float);
- cap the expanded size, so an alias bomb ("billion laughs") is refused, not expanded;
- resolve `{include: FILE}` mappings inside the plan's folder only.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError, Position, Problem, path_to_key
from planner.inputs.gate import not_a_file, printable, read_input, resolve_inside

MAX_FILE_BYTES = 32_000_000
"""A 10,000-site plan is about 6 MB; composing YAML costs roughly 100 bytes of memory per byte."""
MAX_EXPANSION = 10
"""Aliases may expand a document to at most this many times its own nodes..."""
MIN_NODE_BUDGET = 10_000
"""...or to this many nodes, whichever is more: a "billion laughs" file stops here, fast."""
MAX_VALUES = 2_000_000
"""Values (keys, items and scalars) a file may hold, or expand to through aliases: a 20,000-site plan
from `plan generate` (200 parts, 80 quarters) holds about 1.5 million. YAML costs about 10 us and
700 bytes a value to compose, so a file of more (a 31 MB flat list holds 15 million) is refused
before it is composed."""
MAX_DEPTH = 64
MAX_INCLUDE_DEPTH = 8
MAX_ITEMS = 20_000
"""Items of one list, or keys of one mapping: the longest list the schema takes (sites, 20,000). A
longer one is refused as it is read, before the schema checks each of its items (150,000 invalid
sites cost 16 s and 530 MB there, to be refused for their number in the end)."""

KeyPath = tuple[str | int, ...]

STDIN = Path("-")
"""The name of a plan read from standard input (`plan optimize -`), in `Document.files`."""
STDIN_DISPLAY = "<stdin>"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The C parser when available; scalars are resolved by this module, not by PyYAML."""


# Every implicit resolver is dropped: a plain scalar's type is decided by `_scalar` below.
_Loader.yaml_implicit_resolvers = {}

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
# A leading zero (`0755`) is octal in YAML 1.1 and decimal in 1.2: neither reading is safe,
# so such a scalar stays a string and the number check refuses it with what it found.
_SPECIAL_FLOAT = {
    ".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"),
    ".Inf": float("inf"), ".INF": float("inf"), "-.Inf": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}
_MAX_INT_DIGITS = 30
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass
class Document:
    """Plain data read from one or more YAML files, and where each key path came from."""

    data: Any
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    digests: dict[Path, str] = field(default_factory=dict)
    """SHA-256 of the bytes parsed, by file: provenance for a plan read from stdin, which has no file."""

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


class _Budget:
    def __init__(self, limit: int) -> None:
        self.nodes = 0
        self.limit = limit


def _distinct_nodes(root: yaml.Node) -> int:
    """Nodes as written (an alias counts once): the size aliases are allowed to multiply."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return len(seen)


def _scalar(node: yaml.ScalarNode) -> Any:
    """A scalar by YAML 1.2 core rules; quoted and block scalars are always strings."""
    text = node.value
    if node.style in ("'", '"', "|", ">"):
        return text
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        if len(text.lstrip("+-")) > _MAX_INT_DIGITS:
            return float(text)  # a 1,000-digit integer becomes a huge float, refused by bounds
        return int(text)
    if _HEX.match(text):
        return int(text, 16)
    if _FLOAT.match(text):
        return float(text)
    if text in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[text]
    return text


class _Reader:
    """Turns one composed YAML node tree into plain data, recording positions."""

    def __init__(self, file: Path, display: str, positions: dict[KeyPath, Position], node_limit: int) -> None:
        self.file = file
        self.display = display
        self.positions = positions
        self.budget = _Budget(node_limit)
        self.problems: list[Problem] = []

    def position(self, node: yaml.Node) -> Position:
        return Position(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, node: yaml.Node, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.position(node), path_to_key(path), message))

    def read(self, node: yaml.Node, path: KeyPath, depth: int = 0) -> Any:
        self.budget.nodes += 1
        if self.budget.nodes > self.budget.limit:
            raise _TooLarge(self.position(node), path)
        if depth > MAX_DEPTH:
            raise _TooLarge(self.position(node), path)
        self.positions.setdefault(path, self.position(node))
        if node.tag not in _STANDARD_TAGS:
            self.fail(node, path, f"expected plain YAML, found the tag '{node.tag}'")
            return None
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and len(node.value) > MAX_ITEMS:
            what = "keys" if isinstance(node, yaml.MappingNode) else "items"
            self.fail(node, path, f"expected at most {MAX_ITEMS:,} {what}, found {len(node.value):,}")
            return None
        if isinstance(node, yaml.MappingNode):
            return self.read_mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return _scalar(node)

    def read_mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path, "expected a plain key, found a mapping or list as key")
                continue
            key = key_node.value
            if key == "<<" and key_node.style is None:
                self.fail(key_node, path, "merge keys ('<<') are not supported; repeat the keys")
                continue
            if key in out:
                first = self.positions.get((*path, key))
                where = f" (first at line {first.line})" if first else ""
                self.fail(key_node, (*path, key), f"duplicate key{where}")
                continue
            self.positions[(*path, key)] = self.position(key_node)
            out[key] = self.read(value_node, (*path, key), depth + 1)
        return out


class _TooLarge(Exception):
    def __init__(self, position: Position, path: KeyPath) -> None:
        self.position = position
        self.path = path


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


def _refuse_too_many_values(text: str, display: str) -> None:
    """Refuse, before composing, text that would hold more than MAX_VALUES values. Every value but the
    first is preceded by a separator (a comma, a colon or a line end), so their count, taken in C by
    `str.count`, bounds the values a file can hold to within a small factor.

    Raises:
        InputError: The estimate is above MAX_VALUES.
    """
    estimate = text.count(",") + text.count(":") + text.count("\n")
    if estimate > MAX_VALUES:
        message = (f"expected at most {MAX_VALUES:,} values (keys, items and numbers), found about {estimate:,}: "
                   "split the plan, or generate a smaller one")
        raise InputError([Problem(Position(display, 1, 1), "", message)])


def _refuse_long_collections(text: str, display: str) -> None:
    """Refuse, before composing, a list or mapping of more than MAX_ITEMS entries. Composing costs
    about 7 us and 500 bytes a node; PyYAML's event stream, read here in constant memory, a third of
    that, and it stops at the first collection too long. Text too short to hold one is not read.
    A YAML error is left to the composer, which positions it.

    Raises:
        InputError: A list or mapping longer than MAX_ITEMS, with its position and path.
    """
    if len(text) <= 2 * MAX_ITEMS:  # an item takes at least two characters ("1,")
        return
    parser = _Loader(text)
    # One frame per open collection: [entries so far, is a mapping, its start mark, its key or index].
    frames: list[list[Any]] = []
    try:
        while (event := parser.get_event()) is not None:
            if isinstance(event, yaml.CollectionEndEvent):
                frames.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            if frames:
                frame = frames[-1]
                frame[0] += 1
                if frame[1] and frame[0] % 2 == 1 and isinstance(event, yaml.ScalarEvent):
                    frame[3] = event.value  # a mapping's key
                elif not frame[1]:
                    frame[3] = frame[0] - 1  # a list's index
                entries = (frame[0] + 1) // 2 if frame[1] else frame[0]
                if entries > MAX_ITEMS:
                    what = "keys" if frame[1] else "items"
                    mark = frame[2]
                    path = tuple(f[3] for f in frames[:-1])
                    message = f"expected at most {MAX_ITEMS:,} {what}, found more"
                    raise InputError([Problem(Position(display, mark.line + 1, mark.column + 1),
                                              path_to_key(path), message)])
            if isinstance(event, yaml.CollectionStartEvent):
                frames.append([0, isinstance(event, yaml.MappingStartEvent), event.start_mark, None])
    except yaml.YAMLError:
        return
    finally:
        parser.dispose()


def _compose(text: str, display: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = Position(display, mark.line + 1, mark.column + 1) if mark else None
        reason = error.problem or error.context or "invalid YAML"
        raise InputError([Problem(position, "", f"invalid YAML: {reason}")]) from None
    except yaml.YAMLError as error:
        raise InputError([Problem(Position(display, 1, 1), "", f"invalid YAML: {error}")]) from None
    finally:
        loader.dispose()
    return node  # type: ignore[no-any-return]


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
    _refuse_too_many_values(text, display)
    _refuse_long_collections(text, display)
    node = _compose(text, display)
    if node is None:
        raise InputError([Problem(Position(display, 1, 1), "", "expected a YAML mapping, found an empty file")])
    positions: dict[KeyPath, Position] = {}
    limit = min(MAX_VALUES, max(MIN_NODE_BUDGET, MAX_EXPANSION * _distinct_nodes(node)))
    reader = _Reader(path, display, positions, limit)
    try:
        data = reader.read(node, ())
    except _TooLarge as too_large:
        message = (
            f"expected aliases to expand the file at most {MAX_EXPANSION}x ({limit:,} values) and nesting at "
            f"most {MAX_DEPTH} deep; found more (aliases that expand too far?)"
        )
        raise InputError([Problem(too_large.position, path_to_key(too_large.path), message)]) from None
    if reader.problems:
        raise InputError(reader.problems)
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
