"""Read a study file into a :class:`Study`: the base scenario and each variant's scenario.

:func:`load_study` validates the top level (an error there is a one-line
:class:`~moonbase.errors.InputError` citing the file, line and field) and then each variant on
its own: a variant with an unknown key, a bad value, or changes that leave a scenario that does
not validate becomes a :class:`VariantSpec` with a ``failure`` (one line naming the file, the
variant and the field) and the others are kept. Partner what-ifs (``[what_if]``, or
:func:`with_what_ifs` from the command line) become variants compared with a baseline.
"""

from __future__ import annotations

import difflib
import os
import tomllib
import typing
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ValidationError

from moonbase.errors import InputError
from moonbase.io import read_user_text
from moonbase.scenario import BUILTIN_SCENARIOS, Scenario, ScenarioError
from moonbase.scenario.problems import format_path
from moonbase.scenario.toml_lines import line_map, line_of
from moonbase.study.changes import ChangeError, ChangeProblem, apply_variant, check_keys
from moonbase.study.models import Joining, Pareto, StudyFile, StudyOptions, Variant, Withdrawal

__all__ = [
    "Study",
    "VariantSpec",
    "load_joining",
    "load_study",
    "loads_study",
    "new_study",
    "resolve_base",
    "with_what_ifs",
]


@dataclass(frozen=True)
class VariantSpec:
    """One variant ready to plan (``scenario``), or failed before planning (``failure``).

    ``kind``: ``"variant"``, ``"baseline"`` (the what-ifs' reference), ``"withdraw"`` or
    ``"join"``; ``notes`` say what the changes did.
    """

    name: str
    scenario: Scenario | None
    failure: str | None = None
    notes: tuple[str, ...] = ()
    kind: str = "variant"
    description: str = ""


@dataclass(frozen=True)
class Study:
    """A loaded study: the base, the plan's date and seed, options and the variants in order.

    ``what_if`` pairs each what-if variant's name with its baseline's.
    """

    name: str
    file: str
    folder: Path
    base: str
    base_scenario: Scenario
    as_of: date
    seed: int
    options: StudyOptions
    pareto: Pareto
    variants: tuple[VariantSpec, ...]
    what_if: tuple[tuple[str, str], ...] = ()
    description: str = ""
    baseline: str = "baseline"
    lines: dict = field(default_factory=dict, repr=False, compare=False)

    def variant(self, name: str) -> VariantSpec:
        return next(v for v in self.variants if v.name == name)


def load_study(path: str | os.PathLike) -> Study:
    """Read and check a study file (see :mod:`moonbase.study.models`)."""
    file = Path(path)
    text = read_user_text(
        file,
        what="study file",
        field="study",
        hint="check the path; `moonbase study --example PATH` writes an example",
    )
    return loads_study(text, file=file.name, folder=file.parent)


def loads_study(text: str, *, file: str = "<study>", folder: str | os.PathLike = ".") -> Study:
    """Check study TOML ``text``; ``file`` names it in messages, ``folder`` anchors its paths."""
    folder = Path(folder)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{file}: TOML syntax: {error}", hint="fix the TOML syntax") from None
    lines = line_map(text)
    try:
        top = StudyFile.model_validate(data)
    except ValidationError as error:
        item = error.errors()[0]
        path = tuple(item["loc"])
        where = f"{file}:{line_of(lines, path)}" if path else file
        more = len(error.errors()) - 1
        raise InputError(
            f"{where}: {format_path(path)}: {_message(item)}"
            + (f" (and {more} more)" if more else ""),
            hint=_hint(item, path),
        ) from None
    if not top.variants and top.what_if is None:
        raise InputError(
            f"{file}: variants: the study has no variants and no [what_if]",
            hint="add [[variants]] tables (name and changes) or a [what_if] table",
        )
    base = resolve_base(top.base, folder, field=f"{file}: base")
    study = Study(
        name=top.name,
        file=file,
        folder=folder,
        base=top.base,
        base_scenario=base,
        as_of=top.as_of,
        seed=top.seed,
        options=top.options,
        pareto=top.pareto,
        variants=(),
        description=top.description,
        lines=lines,
    )
    specs: list[VariantSpec] = []
    for index, raw in enumerate(top.variants):
        specs.append(_variant(study, index, raw, {s.name for s in specs}))
    study = replace(study, variants=tuple(specs))
    if top.what_if is not None:
        study = with_what_ifs(
            study, top.what_if.withdraw, top.what_if.join, baseline=top.what_if.baseline
        )
    return study


def resolve_base(base: str, folder: Path, *, field: str) -> Scenario:
    """A built-in scenario by name, else a scenario file (relative to ``folder``)."""
    from moonbase.scenario import builtin_scenario, load_scenario

    if base in BUILTIN_SCENARIOS:
        return builtin_scenario(base)
    path = Path(base) if Path(base).is_absolute() else folder / base
    if not path.exists():
        raise InputError(
            f"{base!r} is neither a built-in scenario nor a scenario file",
            field=field,
            hint=f"built-ins: {', '.join(BUILTIN_SCENARIOS)}; or a path to a scenario TOML",
        )
    return load_scenario(path)


def _variant(study: Study, index: int, raw, taken: set[str]) -> VariantSpec:
    prefix = ("variants", index)
    name = raw.get("name") if isinstance(raw, dict) else None
    label = name if isinstance(name, str) and name else f"variants[{index}]"

    described = raw.get("description") if isinstance(raw, dict) else None
    described = described if isinstance(described, str) else ""

    def failed(path: tuple, message: str, hint: str | None = None, *, scenario=False):
        text = _one_line(study, prefix, label, path, message, hint, scenario)
        return VariantSpec(label, None, failure=text, description=described)

    if not isinstance(raw, dict):
        return failed((), "expected a [[variants]] table")
    try:
        variant = Variant.model_validate(raw)
    except ValidationError as error:
        item = error.errors()[0]
        path = tuple(item["loc"])
        return failed(path, _message(item), _hint(item, path, Variant))
    if variant.name in taken:
        return failed(("name",), f"a variant named {variant.name!r} comes earlier", "rename it")
    if variant.withdraw is not None and variant.withdraw.from_date is None:
        variant = variant.model_copy(
            update={"withdraw": variant.withdraw.model_copy(update={"from_date": study.as_of})}
        )
    return _spec(study, prefix, variant, "variant")


def _spec(
    study: Study, prefix: tuple, variant: Variant, kind: str, inner: str | None = None
) -> VariantSpec:
    """The variant's scenario, or its failure; ``inner`` is the variant key that ``prefix``
    already stands for (a what-if's ``withdraw`` or ``join``), left out of the field."""
    label = variant.name
    try:
        base = study.base_scenario
        if variant.base is not None:
            base = resolve_base(variant.base, study.folder, field="base")
        scenario, notes = apply_variant(base, variant)
    except ScenarioError as error:
        text = _one_line(study, prefix, label, ("base",), str(error), None, False)
    except InputError as error:
        text = _one_line(study, prefix, label, ("base",), error.message, error.hint, False)
    except ChangeError as error:
        first: ChangeProblem = error.problems[0]
        more = len(error.problems) - 1
        message = first.message + (f" (and {more} more)" if more else "")
        path = first.path
        if inner is not None and not first.scenario and path[:1] == (inner,):
            path = path[1:]
        text = _one_line(study, prefix, label, path, message, first.hint, first.scenario)
    else:
        return VariantSpec(
            label, scenario, notes=notes, kind=kind, description=variant.description or ""
        )
    return VariantSpec(label, None, failure=text, kind=kind, description=variant.description or "")


def _one_line(study, prefix, label, path, message, hint, scenario) -> str:
    """``study.toml:31: variant 'x': variants[3].site.latitud_deg: message (hint)``."""
    if scenario:
        where = f"{study.file}:{line_of(study.lines, prefix)}" if study.lines else study.file
        field = "scenario " + format_path(tuple(path))
    else:
        full = prefix + tuple(path)
        where = f"{study.file}:{line_of(study.lines, full)}" if study.lines else study.file
        field = format_path(full)
    text = f"{where}: variant {label!r}: {field}: {message}"
    return f"{text} ({hint})" if hint else text


def with_what_ifs(
    study: Study,
    withdraw: list[Withdrawal] = (),
    join: list[Joining] = (),
    *,
    baseline: str = "baseline",
) -> Study:
    """``study`` with a variant for each withdrawal and joining, and their ``baseline``.

    The baseline is the study's variant of that name, else the unchanged base (added first).
    A withdrawal without a date withdraws from the study's ``as_of``.
    """
    specs = list(study.variants)
    taken = {s.name for s in specs}
    if baseline not in taken:
        specs.insert(0, VariantSpec(baseline, study.base_scenario, kind="baseline"))
        taken.add(baseline)
    pairs = list(study.what_if)
    for index, item in enumerate(withdraw):
        item = (
            item
            if item.from_date is not None
            else item.model_copy(update={"from_date": study.as_of})
        )
        name = item.name or f"withdraw-{item.partner}"
        variant = Variant(name=name, withdraw=item)
        specs.append(
            _what_if_spec(study, ("what_if", "withdraw", index), variant, "withdraw", taken)
        )
        taken.add(name)
        pairs.append((name, baseline))
    for index, item in enumerate(join):
        pid = item.partner.get("id")
        name = item.name or f"join-{pid if isinstance(pid, str) else index}"
        variant = Variant(name=name, join=item)
        specs.append(_what_if_spec(study, ("what_if", "join", index), variant, "join", taken))
        taken.add(name)
        pairs.append((name, baseline))
    return replace(study, variants=tuple(specs), what_if=tuple(pairs), baseline=baseline)


def _what_if_spec(study, prefix, variant, kind, taken) -> VariantSpec:
    if variant.name in taken:
        text = _one_line(
            study,
            prefix,
            variant.name,
            ("name",),
            f"a variant named {variant.name!r} is already in the study",
            "give the what-if a name",
            False,
        )
        return VariantSpec(variant.name, None, failure=text, kind=kind)
    return _spec(study, prefix, variant, kind, inner=kind)


def _message(item: dict) -> str:
    kind = item["type"]
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        return f"unknown key {item['loc'][-1]!r}"
    message = item["msg"]
    if message.startswith("Input should be "):
        message = "expected " + message[len("Input should be ") :]
    return f"{message}, got {item.get('input')!r}"


def _hint(item: dict, path: tuple, root=StudyFile) -> str | None:
    """For an unknown key: the closest valid key and the valid keys of its table."""
    if item["type"] != "extra_forbidden":
        return None
    model = _model_at(root, path[:-1])
    if model is None:
        return "remove it"
    fields = list(model.model_fields)
    close = difflib.get_close_matches(str(path[-1]), fields, n=1, cutoff=0.6)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f"{guess}valid keys: {', '.join(fields)}"


def _model_at(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The model class at ``path`` inside ``root`` (None where it is not a model)."""
    model = root
    for part in path:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        model = _model_in(info.annotation) if info is not None else None
        if model is None:
            return None
    return model


def _model_in(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def new_study(
    base: str,
    *,
    as_of: date,
    name: str = "what-if",
    seed: int = 0,
    folder: str | os.PathLike = ".",
    options: StudyOptions | None = None,
) -> Study:
    """A study of ``base`` without variants yet (add partner what-ifs with :func:`with_what_ifs`)."""
    folder = Path(folder)
    return Study(
        name=name,
        file="the command line",
        folder=folder,
        base=base,
        base_scenario=resolve_base(base, folder, field="--base"),
        as_of=as_of,
        seed=seed,
        options=options or StudyOptions(),
        pareto=Pareto(),
        variants=(),
    )


def load_joining(path: str | os.PathLike) -> Joining:
    """A joining partner from its own TOML file: a ``[partner]`` table (with its
    ``[[partner.contributions]]``) and its ``[[elements]]``, ``[[launchers]]``, ``[[experiments]]``."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise InputError(
            f"joining partner file {str(file)!r} does not exist", field="--what-if"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"{file.name}: {error}", field="--what-if") from None
    lines = line_map(text)
    try:
        joining = Joining.model_validate(data)
    except ValidationError as error:
        item = error.errors()[0]
        path_ = tuple(item["loc"])
        raise InputError(
            f"{file.name}:{line_of(lines, path_)}: {format_path(path_)}: {_message(item)}",
            hint=_hint(item, path_, Joining) or "see `moonbase study --help` for the file's tables",
        ) from None
    problems = check_keys(Variant(name="join", join=joining))
    if problems:
        first = problems[0]
        path_ = first.path[1:]  # ("join", "partner", key) -> the file's ("partner", key)
        raise InputError(
            f"{file.name}:{line_of(lines, path_)}: {format_path(path_)}: {first.message}",
            hint=first.hint,
        )
    return joining
