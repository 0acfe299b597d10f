"""Reading and writing science files (JSON) with errors that name the file and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from moonbase.errors import InputError
from moonbase.io import write_text_atomic

__all__ = ["read_model", "write_model"]

M = TypeVar("M", bound=BaseModel)


def read_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` (JSON) as ``model``; the first problem becomes an :class:`InputError`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no file at {path}", field=str(path), hint="check the path")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(
            f"not valid JSON: {error.msg} at line {error.lineno}", field=str(path)
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InputError(
            f"{first['msg']} ({error.error_count()} problem(s) in all)",
            field=f"{path}: {where}",
            hint=f"see the {model.__name__} fields in {model.__module__}",
        ) from None


def write_model(path: str | Path, instance: BaseModel) -> Path:
    """Write a pydantic object as indented JSON, atomically."""
    return write_text_atomic(path, instance.model_dump_json(indent=1))
