"""Files: atomic writes (a reader never sees a half-written file, a crash never leaves one
behind) and reading the text files users name, with one clear error."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "read_user_text", "write_text_atomic"]


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    Parent directories are created. On error the temporary file is removed and ``path`` is left
    as it was.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out" / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        dir=final.parent, prefix=f".{final.name}.", suffix=suffix or final.suffix or ".tmp"
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)


def read_user_text(path: str | os.PathLike, *, what: str, field: str, hint: str) -> str:
    """The UTF-8 text of a file a user names (a scenario, a study, a station), or one clear error.

    A missing file, a folder, an unreadable file and text that is not UTF-8 each raise
    :class:`moonbase.errors.InputError` naming ``what`` (e.g. ``"scenario file"``), the file and
    ``field``; ``hint`` says what to do about a missing file.
    """
    from moonbase.errors import InputError

    file = Path(path)
    if not file.exists():
        raise InputError(f"{what} {str(file)!r} does not exist", field=field, hint=hint)
    if not file.is_file():
        raise InputError(f"{what} {str(file)!r} is not a file", field=field, hint=hint)
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{what} {str(file)!r} is not UTF-8 text (byte {error.start})",
            field=field,
            hint="save it as UTF-8",
        ) from None
    except OSError as error:
        raise InputError(f"cannot read {what} {str(file)!r}: {error}", field=field) from None
