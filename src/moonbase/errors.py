"""Exceptions that carry what went wrong, what was expected and how to fix it.

User mistakes (bad arguments, bad scenario files, times outside the ephemeris) raise
:class:`InputError` or a subclass. The command-line interface turns them into a single line
``moonbase: error: <field>: <message>`` and exit status 2, with no traceback.
"""

from __future__ import annotations

from typing import Any


class MoonbaseError(Exception):
    """Base class of every error raised on purpose by moonbase."""


class InputError(MoonbaseError, ValueError):
    """A value supplied by the user is invalid.

    Parameters
    ----------
    message:
        What is wrong and what was expected, in one sentence.
    field:
        The argument, option or scenario field at fault (``"--lat"``, ``"latitude_deg"``,
        ``"elements[3].mass_kg"``).
    hint:
        The next step that fixes it, if there is a useful one to suggest.
    """

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        self.message = message
        self.field = field
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.field}: {self.message}" if self.field else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class OutOfRangeError(InputError):
    """Times outside the span the ephemeris and orientation kernels cover.

    ``out_of_range`` is a boolean mask over the times that were asked for.
    """

    def __init__(self, message: str, *, out_of_range: Any = None, **kwargs: Any):
        self.out_of_range = out_of_range
        super().__init__(message, **kwargs)


class DataError(MoonbaseError):
    """A data file is missing, corrupt or does not match its pinned checksum."""
