"""Read and write scenario TOML files, with errors that cite file, line, field and fix.

* :func:`load_scenario` reads a file, validates it fully and raises :class:`ScenarioError`
  listing every problem (syntax, types, missing or unknown keys, cross-references).
* :func:`validate_scenario` returns the same problems as a list instead of raising.
* :func:`scenario_to_toml` writes a scenario atomically; :func:`dumps_scenario` gives the text.
* :func:`builtin_scenario` loads a scenario shipped with moonbase (``"ilrs-reference"``).

>>> scenario = builtin_scenario("ilrs-reference")
>>> scenario.launcher("LM-5").capacity_tli_kg
8200.0
>>> loads_scenario(dumps_scenario(scenario)) == scenario
True
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import typing
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from moonbase.errors import InputError
from moonbase.io import read_user_text, write_text_atomic
from moonbase.scenario.checks import check_raw, check_scenario, location_choices
from moonbase.scenario.models import Scenario
from moonbase.scenario.problems import Problem, ScenarioError, format_path
from moonbase.scenario.toml_lines import line_map, line_of

__all__ = [
    "BUILTIN_SCENARIOS",
    "builtin_path",
    "builtin_scenario",
    "dumps_scenario",
    "load_scenario",
    "loads_scenario",
    "scenario_to_toml",
    "template_path",
    "validate_scenario",
]

#: Scenarios shipped as package data: name -> file under ``moonbase/scenario/data``.
BUILTIN_SCENARIOS = {
    "ilrs-reference": "ilrs_reference.toml",
    "ilrs-orbital-node": "ilrs_orbital_node.toml",
}


# -- reading -------------------------------------------------------------------------------------


def builtin_path(name: str) -> Path:
    """Path of a built-in scenario file."""
    if name not in BUILTIN_SCENARIOS:
        raise InputError(
            f"no built-in scenario {name!r}",
            field="--builtin",
            hint=f"choose one of: {', '.join(BUILTIN_SCENARIOS)}",
        )
    resource = resources.files("moonbase.scenario").joinpath("data", BUILTIN_SCENARIOS[name])
    return Path(str(resource))


def template_path() -> Path:
    """Path of the short, commented template that ``moonbase scenario new --minimal`` writes."""
    return Path(str(resources.files("moonbase.scenario").joinpath("data", "template.toml")))


def builtin_scenario(name: str = "ilrs-reference") -> Scenario:
    """Load a scenario shipped with moonbase (see :data:`BUILTIN_SCENARIOS`)."""
    return load_scenario(builtin_path(name))


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read and validate a scenario TOML file; raise :class:`ScenarioError` with every problem."""
    scenario, problems = _parse_file(path)
    if problems:
        raise ScenarioError(problems, file=str(path))
    assert scenario is not None
    return scenario


def loads_scenario(text: str, *, file: str = "<string>") -> Scenario:
    """Validate scenario TOML ``text``; ``file`` names it in error messages."""
    scenario, problems = _parse_text(text, file)
    if problems:
        raise ScenarioError(problems, file=file)
    assert scenario is not None
    return scenario


def validate_scenario(source: Scenario | str | os.PathLike) -> list[Problem]:
    """Every problem of a scenario file (path) or object; an empty list means it is valid."""
    if isinstance(source, Scenario):
        return check_scenario(source)
    return _parse_file(source)[1]


def _parse_file(path: str | os.PathLike) -> tuple[Scenario | None, list[Problem]]:
    file = Path(path)
    text = read_user_text(
        file,
        what="scenario file",
        field="scenario",
        hint="check the path, or start one with `moonbase scenario new PATH`",
    )
    return _parse_text(text, file.name)


_SYNTAX_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _parse_text(text: str, file: str) -> tuple[Scenario | None, list[Problem]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _SYNTAX_AT.search(message)
        line = int(match.group(1)) if match else None
        if match:
            message = message[: match.start()] + f" (column {match.group(2)})"
        problem = Problem(
            ("TOML syntax",),
            message,
            "fix the TOML syntax: strings in quotes, dates as YYYY-MM-DD, one key per line",
            file=file,
            line=line,
        )
        return None, [problem]
    lines = line_map(text)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        problems = [_translate(item, data) for item in error.errors()]
        problems += check_raw(data)
    else:
        problems = check_scenario(scenario)
    located = [
        Problem(p.path, p.message, p.hint, file=file, line=line_of(lines, p.path)) for p in problems
    ]
    located.sort(key=lambda p: p.line or 0)
    return (None if located else scenario), located


# -- pydantic errors in TOML terms ---------------------------------------------------------------

_EXPECTED = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text in quotes",
    "bool_type": "true or false",
    "date_type": "a date written YYYY-MM-DD (without quotes)",
    "date_from_datetime_inexact": "a date YYYY-MM-DD without a time of day",
    "list_type": "a list [ ... ]",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
    "finite_number": "a finite number",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _translate(error: dict, data: dict) -> Problem:
    path = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    key = path[-1] if path and isinstance(path[-1], str) else None
    table = _table_name(path[:-1])
    if kind == "missing":
        if len(path) == 3 and path[0] == "elements" and key == "location":
            return Problem(
                path,
                f"missing required key 'location' in {table}: where is this element?",
                f"add {location_choices(_raw_location_ids(data))}",
            )
        return Problem(path, f"missing required key {key!r}", _missing_hint(path, table))
    if kind == "extra_forbidden":
        fields = _fields_at(path[:-1])
        close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.6)
        guess = f"did you mean {close[0]!r}? " if close else ""
        return Problem(
            path,
            f"unknown key {key!r} in {table}",
            f"{guess}valid keys: {', '.join(fields)}" if fields else "remove it",
        )
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return Problem(
            path,
            f"got {_describe(value)}, expected one of {expected}",
            "use one of the listed values",
        )
    if kind == "string_pattern_mismatch":
        return Problem(
            path,
            f"got {_describe(value)}, expected an id of letters, digits, '-', '_' or '.'",
            "start with a letter or digit; no spaces",
        )
    if kind == "string_too_short":
        return Problem(path, f"expected non-empty text, got {_describe(value)}", None)
    if kind == "too_short":
        return Problem(path, f"expected at least one entry, got {_describe(value)}", None)
    if kind in _EXPECTED:
        return Problem(
            path,
            f"expected {_EXPECTED[kind]}, got {_describe(value)}",
            None,
        )
    message = error["msg"]
    if message.startswith("Input should be "):
        rest = message[len("Input should be ") :]
        if rest.startswith(("greater", "less")):
            rest = "a value " + rest
        message = "expected " + rest
    return Problem(path, f"{message}, got {_describe(value)}", None)


def _raw_location_ids(data: dict) -> list[str]:
    raw = data.get("locations") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return []
    return [x["id"] for x in raw if isinstance(x, dict) and isinstance(x.get("id"), str)]


def _missing_hint(path: tuple, table: str) -> str:
    key = path[-1]
    parent = _model_at(path[:-1])
    info = parent.model_fields.get(key) if parent is not None and isinstance(key, str) else None
    if info is not None and _model_in(info.annotation) is not None:
        dotted = ".".join(part for part in path if isinstance(part, str))
        if typing.get_origin(info.annotation) is list:
            return f"add at least one [[{dotted}]] table"
        return f"add a [{dotted}] table"
    return f"add `{key} = ...` to {table}"


def _table_name(path: tuple) -> str:
    if not path:
        return "the top level of the file"
    names = [part for part in path if isinstance(part, str)]
    index = path[-1] if isinstance(path[-1], int) else None
    if index is not None:
        return f"[[{'.'.join(names)}]] number {index + 1} ({format_path(path)})"
    return f"[{'.'.join(names)}]"


def _model_at(path: tuple) -> type[BaseModel] | None:
    """The model class that sits at ``path`` inside a scenario (``None`` if not a model)."""
    model: type[BaseModel] | None = Scenario
    for part in path:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(part)
        model = _model_in(info.annotation) if info is not None else None
    return model


def _fields_at(path: tuple) -> list[str]:
    """Field names of the model that sits at ``path`` inside a scenario."""
    model = _model_at(path)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


# -- writing -------------------------------------------------------------------------------------

_HEADER = """\
# moonbase scenario (schema version 1); validate with `moonbase scenario validate FILE`.
# Units are in the key names: _kg, _w, _wh, _h, _deg, _m, _km, _gbit, _mbps, _musd (millions of US dollars).
# provenance: announced (agency statement) / reported (news) / notional (modelling assumption).
"""
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps_scenario(scenario: Scenario) -> str:
    """The scenario as TOML text (unset keys, empty lists and empty texts are left out)."""
    data = _prune(scenario.model_dump(mode="python", exclude_none=True))
    out: list[str] = [_HEADER]
    _emit_table(data, (), out)
    return "\n".join(out).rstrip("\n") + "\n"


def _prune(value: Any) -> Any:
    """Drop empty lists and empty strings (their defaults) so the file stays short."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v != [] and v != ""}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def scenario_to_toml(scenario: Scenario, path: str | os.PathLike) -> Path:
    """Write ``scenario`` to ``path`` as TOML, atomically (temporary file, then rename)."""
    return write_text_atomic(path, dumps_scenario(scenario))


def _emit_table(data: dict, path: tuple[str, ...], out: list[str]) -> None:
    tables, arrays = [], []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            out.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables:
        out.append("")
        out.append(f"[{_dotted(path + (key,))}]")
        _emit_table(value, path + (key,), out)
    for key, items in arrays:
        for item in items:
            out.append("")
            out.append(f"[[{_dotted(path + (key,))}]]")
            _emit_table(item, path + (key,), out)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(part) for part in path)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")  # pragma: no cover


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(text: str) -> str:
    parts = []
    for char in text:
        if char in _ESCAPES:
            parts.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(char)
    return '"' + "".join(parts) + '"'
