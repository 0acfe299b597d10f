"""The one cycle finder for dependency graphs (element ``requires``, experiment ``depends_on``).

A graph is a mapping ``node -> iterable of the nodes it depends on``; a dependency that is not
a key is a leaf. Built on the standard library's :class:`graphlib.TopologicalSorter`.

>>> find_cycle({"a": ["b"], "b": ["a"], "c": []})
['a', 'b']
>>> cycle_members({"a": ["b"], "b": ["a"], "c": ["a"], "d": []})
['a', 'b', 'c']
>>> find_cycles({"x": ["x"], "a": ["b"], "b": ["a"]})
[['x'], ['a', 'b']]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from graphlib import CycleError, TopologicalSorter

__all__ = ["cycle_members", "find_cycle", "find_cycles"]


def _normalise(graph: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    return {node: list(deps) for node, deps in graph.items()}


def cycle_members(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Nodes on or behind a cycle (those no topological order reaches), in graph order."""
    graph = _normalise(graph)
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError:  # get_ready() still yields every node no cycle blocks
        pass
    seen: set[str] = set()
    while True:
        ready = sorter.get_ready()
        if not ready:
            break
        seen.update(ready)
        sorter.done(*ready)
    return [node for node in graph if node not in seen]


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle per strongly connected component that has one, in graph order.

    Each cycle starts at the component's first node (in the mapping's order) and is a shortest
    cycle through it, found breadth-first following the dependency lists in order; it is
    listed open (``[a, b]`` for ``a -> b -> a``; a self-dependency is ``[a]``).
    """
    graph = _normalise(graph)
    stuck = cycle_members(graph)
    stuck_set = set(stuck)
    done: set[str] = set()
    cycles = []
    for start in stuck:
        if start in done:
            continue
        component = _reachable(graph, start, stuck_set) & _reaching(graph, start, stuck_set)
        if len(component) == 1 and start not in graph[start]:
            continue  # behind a cycle, not on one
        done |= component
        cycles.append(_shortest_cycle(graph, start, component))
    return cycles


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """The first cycle of :func:`find_cycles` (open: ``[a, b]`` for ``a -> b -> a``), or ``[]``."""
    cycles = find_cycles(graph)
    return cycles[0] if cycles else []


def _reachable(graph, start, within) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for child in graph.get(todo.pop(), ()):
            if child in within and child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _reaching(graph, start, within) -> set[str]:
    parents: dict[str, list[str]] = {}
    for node, deps in graph.items():
        if node in within:
            for dep in deps:
                parents.setdefault(dep, []).append(node)
    return _reachable(parents, start, within)


def _shortest_cycle(graph, start, members) -> list[str]:
    previous: dict[str, str] = {}
    frontier, seen = [start], {start}
    while frontier:
        following = []
        for node in frontier:
            for child in graph[node]:
                if child not in members:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return path[::-1]
                if child not in seen:
                    seen.add(child)
                    previous[child] = node
                    following.append(child)
        frontier = following
    return [start]  # pragma: no cover - every member of a component lies on a cycle
