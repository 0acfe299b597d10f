"""The one cycle finder (moonbase.graphs)."""

from __future__ import annotations

from moonbase.graphs import cycle_members, find_cycle, find_cycles


def test_no_cycle():
    graph = {"a": [], "b": ["a"], "c": ["a", "b"]}
    assert find_cycle(graph) == []
    assert find_cycles(graph) == []
    assert cycle_members(graph) == []


def test_cycles_self_loops_and_nodes_behind_them():
    graph = {"p": ["q"], "q": ["r"], "r": ["p"], "s": ["s"], "t": ["p"], "u": []}
    assert find_cycles(graph) == [["p", "q", "r"], ["s"]]
    assert find_cycle(graph) == ["p", "q", "r"]
    assert cycle_members(graph) == ["p", "q", "r", "s", "t"]  # t only waits behind one


def test_shortest_cycle_through_the_first_member():
    graph = {"a": ["b", "c"], "b": ["c"], "c": ["a"]}
    assert find_cycle(graph) == ["a", "c"]


def test_unknown_dependencies_are_leaves():
    assert find_cycle({"a": ["zzz"]}) == []
    assert cycle_members({"a": ["zzz"], "b": ["b"]}) == ["b"]
