"""The value cap at its edge, and the counts that refuse a file before it is read: a file of
`MAX_VALUES` values is read whatever its shape, one more is refused with the same message whichever
count refuses it, and the events' bound holds for any data a file can hold."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.inputs import loading
from planner.inputs.loading import MAX_VALUES, load_file, load_text
from planner.inputs.prescan import EVENTS_PER_VALUE, refuse_by_events
from tests.inputs.dense import UNITS, dense_file, nested_file

TOO_MANY = f"expected at most {MAX_VALUES:,} values (numbers, texts, lists and mappings) in the plan and the files"
SHAPES = [(shape, block) for shape in UNITS for block in (False, True) if not (block and shape == "empty lists")]
SMALL_CAP = 5_000
"""The cap every shape but the densest is tested at (`loading.MAX_VALUES` set to it): the counts and the
reader take the cap as a number, and a file at the real one costs a second or two to read."""


def with_cap(monkeypatch: pytest.MonkeyPatch, shape: str, block: bool) -> int:
    """The real cap for flow lists of one-character scalars (the densest file), `SMALL_CAP` for the others."""
    if shape == "one-character scalars" and not block:
        return MAX_VALUES
    monkeypatch.setattr(loading, "MAX_VALUES", SMALL_CAP)
    return SMALL_CAP


def too_many(cap: int) -> str:
    return f"expected at most {cap:,} values (numbers, texts, lists and mappings)"


@pytest.mark.parametrize(("shape", "block"), SHAPES, ids=[f"{s}{' block' if b else ''}" for s, b in SHAPES])
def test_a_dense_file_at_the_cap_is_read_and_one_value_more_refused(tmp_path, monkeypatch, shape, block):
    cap = with_cap(monkeypatch, shape, block)
    path = tmp_path / "plan.yaml"
    path.write_bytes(dense_file(shape, cap, block=block))
    assert load_file(path).values == cap
    path.write_bytes(dense_file(shape, cap + 1, block=block))
    with pytest.raises(InputError) as refused:
        load_file(path)
    assert str(refused.value).startswith(f"{path}:"), refused.value
    assert f"{too_many(cap)} in the plan and the files" in str(refused.value)


@pytest.mark.parametrize("times", [2, 4, 16])
@pytest.mark.parametrize("shape", list(UNITS))
def test_a_dense_file_far_past_the_cap_is_refused_with_the_same_message(tmp_path, monkeypatch, shape, times):
    """Refused before it is read, by the count of its separators or of its events (or else by the reader
    at the cap)."""
    cap = with_cap(monkeypatch, shape, False)
    path = tmp_path / "plan.yaml"
    path.write_bytes(dense_file(shape, times * cap))
    with pytest.raises(InputError) as refused:
        load_file(path)
    assert str(refused.value).startswith(f"{path}:"), refused.value
    assert too_many(cap) in str(refused.value)


def test_the_events_count_refuses_only_past_three_events_a_value():
    text = "x: [" + ",".join(["1"] * 2_000) + "]\n"  # a mapping, a key, a list: 2 + 1 + 2 events, and 2,000
    assert yaml.CSafeLoader(text).raw_parse() - 4 == 2_005
    refuse_by_events(text, "t", 669, MAX_VALUES)  # 3 x 669 = 2,007
    with pytest.raises(InputError, match=f"^t:1:1: {re.escape(TOO_MANY)}"):
        refuse_by_events(text, "t", 668, MAX_VALUES)  # 2,004


def test_text_with_more_than_one_document_is_left_to_the_reader():
    """The reader refuses the second document where it starts, whatever the events of the rest."""
    text = "a: [" + ",".join(["1"] * 500) + "]\n---\n" + "b: [" + ",".join(["1"] * 5_000) + "]\n"
    refuse_by_events(text, "t", 100, MAX_VALUES)
    with pytest.raises(InputError, match=r"t:2:1: invalid YAML: expected one document"):
        load_text(text, "t")


def test_invalid_yaml_is_left_to_the_reader_which_says_where():
    text = "a: [" + ",".join(["1"] * 1_500) + "\n"
    refuse_by_events(text, "t", 100, MAX_VALUES)
    with pytest.raises(InputError, match=r"t:2:1: invalid YAML"):
        load_text(text, "t")


@pytest.mark.parametrize(("depth", "read"), [(32, True), (33, False)])
def test_nesting_stops_at_max_depth(tmp_path, depth, read):
    path = tmp_path / "plan.yaml"
    path.write_bytes(nested_file(depth))
    if read:
        assert load_file(path).values == depth + 2
    else:
        with pytest.raises(InputError, match="nesting at most 32 deep"):
            load_file(path)


keys = st.text(alphabet="abc<", min_size=0, max_size=3).filter(lambda key: key != "<<")
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4))
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                     max_leaves=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, st.booleans(), st.booleans())
def test_a_document_holds_at_least_a_third_of_its_events_in_values(tree, flow, repeated):
    """`EVENTS_PER_VALUE`'s bound, for any data dumped in either style, aliases included (a list or
    mapping written twice is dumped once and repeated by an alias)."""
    data = {"x": [tree, tree] if repeated else tree}
    text = yaml.safe_dump(data, default_flow_style=flow)
    values = load_text(text, "t").values
    assert yaml.CSafeLoader(text).raw_parse() - 4 <= EVENTS_PER_VALUE * values
