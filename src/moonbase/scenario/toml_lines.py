"""Where each key, table and array item sits in a TOML text, so errors can cite a line.

:func:`line_map` scans a text that ``tomllib`` has already accepted and returns a mapping from
field paths (``("elements", 3, "requires", 1)``, with array-of-tables and array items indexed
from 0, as pydantic reports them) to 1-based line numbers. :func:`line_of` looks a path up,
falling back to its nearest enclosing key or table (a missing field is reported at the table
that lacks it).

>>> text = 'name = "x"\\n[[elements]]\\nid = "A"\\n[[elements]]\\nid = "B"\\nrequires = [\\n  "A",\\n  "Z",\\n]\\n'
>>> lines = line_map(text)
>>> lines[("elements", 1, "id")], lines[("elements", 1, "requires", 1)]
(5, 8)
>>> line_of(lines, ("elements", 1, "mass_kg"))
4
"""

from __future__ import annotations

import tomllib
from bisect import bisect_left

__all__ = ["line_map", "line_of"]

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SPACE = " \t"


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.lines: dict[tuple, int] = {}
        self.aot: dict[tuple, int] = {}
        self.newlines = [n for n, char in enumerate(text) if char == "\n"]

    # -- helpers -------------------------------------------------------------------------------
    def line(self) -> int:
        return bisect_left(self.newlines, self.i) + 1

    def record(self, path: tuple, line: int | None = None) -> None:
        self.lines.setdefault(path, self.line() if line is None else line)

    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def skip_space(self, newlines: bool) -> None:
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in _SPACE or (newlines and c in "\r\n"):
                self.i += 1
            elif c == "#":
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end < 0 else end
            else:
                return

    def skip_string(self) -> None:
        text = self.text
        for quote in ('"""', "'''"):
            if text.startswith(quote, self.i):
                self.i += 3
                while True:
                    end = text.find(quote, self.i)
                    if end < 0:
                        self.i = len(text)
                        return
                    if quote == '"""' and _escaped(text, end):
                        self.i = end + 1
                        continue
                    self.i = end + 3
                    while text.startswith(quote[0], self.i):  # up to two extra quotes
                        self.i += 1
                    return
        quote = text[self.i]
        self.i += 1
        while self.i < len(text):
            c = text[self.i]
            if quote == '"' and c == "\\":
                self.i += 2
                continue
            self.i += 1
            if c == quote:
                return

    def read_key(self, stop: str) -> tuple[str, ...]:
        """Read a (dotted, maybe quoted) key up to one of ``stop``; leave the stop character."""
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in stop:
            if self.text[self.i] in "\"'":
                self.skip_string()
            else:
                self.i += 1
        raw = self.text[start : self.i].strip()
        if all(c in _BARE or c in ". \t" for c in raw):
            return tuple(part.strip() for part in raw.split("."))
        parsed = tomllib.loads(f"{raw} = 0")  # quoted parts: let tomllib decode them
        parts: list[str] = []
        while isinstance(parsed, dict):
            (key, parsed), *_ = parsed.items()
            parts.append(key)
        return tuple(parts)

    # -- grammar ---------------------------------------------------------------------------------
    def document(self) -> dict[tuple, int]:
        table: tuple = ()
        while True:
            self.skip_space(newlines=True)
            if self.i >= len(self.text):
                return self.lines
            if self.text[self.i] == "[":
                table = self.header()
            else:
                self.key_value(table)

    def header(self) -> tuple:
        line = self.line()
        array = self.peek(2) == "[["
        self.i += 2 if array else 1
        names = self.read_key("]")
        self.i += 2 if array else 1
        path: list = []
        for n, name in enumerate(names):
            path.append(name)
            last = n == len(names) - 1
            if array and last:
                index = self.aot.get(tuple(path), -1) + 1
                self.aot[tuple(path)] = index
                self.record(tuple(path), line)
                path.append(index)
            elif tuple(path) in self.aot:
                path.append(self.aot[tuple(path)])
        self.record(tuple(path), line)
        return tuple(path)

    def key_value(self, table: tuple) -> None:
        line = self.line()
        key = self.read_key("=")
        self.i += 1
        path = table + key
        self.record(path, line)
        self.value(path)

    def value(self, path: tuple) -> None:
        self.skip_space(newlines=False)
        c = self.peek()
        if c in "\"'":
            self.skip_string()
        elif c == "[":
            self.array(path)
        elif c == "{":
            self.inline_table(path)
        else:
            while self.i < len(self.text) and self.text[self.i] not in ",]}\r\n#":
                self.i += 1

    def array(self, path: tuple) -> None:
        self.i += 1
        index = 0
        while self.i < len(self.text):
            self.skip_space(newlines=True)
            if self.peek() == "]":
                self.i += 1
                return
            if self.peek() == ",":
                self.i += 1
                index += 1
                continue
            self.record(path + (index,))
            self.value(path + (index,))

    def inline_table(self, path: tuple) -> None:
        self.i += 1
        while self.i < len(self.text):
            self.skip_space(newlines=True)
            c = self.peek()
            if c == "}":
                self.i += 1
                return
            if c == ",":
                self.i += 1
                continue
            line = self.line()
            key = self.read_key("=")
            self.i += 1
            self.record(path + key, line)
            self.value(path + key)


def _escaped(text: str, position: int) -> bool:
    backslashes = 0
    while position - backslashes - 1 >= 0 and text[position - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def line_map(text: str) -> dict[tuple, int]:
    """Map every key, table header and array item of a valid TOML ``text`` to its line."""
    return _Scanner(text).document()


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of ``path`` or of its nearest enclosing key/table; ``None`` at the top level."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None
