"""Problems found in a scenario, each with its file, line, field path, message and fix."""

from __future__ import annotations

from dataclasses import dataclass

from moonbase.errors import InputError

__all__ = ["Problem", "ScenarioError", "format_path"]

Path_ = tuple[str | int, ...]


def format_path(path: Path_) -> str:
    """``("elements", 3, "requires", 0)`` -> ``"elements[3].requires[0]"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    ``path`` is the field path inside the scenario (``("elements", 3, "requires")``), ``line``
    the 1-based line of that key or table in the TOML file (``None`` for scenarios built in
    Python, or when the key is absent from the file).
    """

    path: Path_
    message: str
    hint: str | None = None
    file: str | None = None
    line: int | None = None

    @property
    def field(self) -> str:
        """The path written as ``elements[3].requires``."""
        return format_path(self.path)

    def one_line(self) -> str:
        """``ilrs.toml:42: elements[3].requires: ... (hint)``."""
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        text = f"{where}{self.field}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def __str__(self) -> str:
        return self.one_line()


class ScenarioError(InputError):
    """A scenario file or object has one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem], *, file: str | None = None):
        self.problems = list(problems)
        self.file = file
        count = len(self.problems)
        first = self.problems[0].one_line() if self.problems else "no details"
        more = f" (and {count - 1} more; run `moonbase scenario validate` to list all)"
        message = first + (more if count > 1 else "")
        super().__init__(message, field=None, hint=None)

    def report(self) -> str:
        """Every problem, one per line."""
        return "\n".join(problem.one_line() for problem in self.problems)
