"""The public API of moonbase, found by walking the package, and its reference pages.

Public means exported: the ``__all__`` of ``moonbase`` itself, of every sub-package (a stage such
as :mod:`moonbase.site`) and of every top-level module (:mod:`moonbase.spine`, :mod:`moonbase.time`
...). A package's ``stage`` module, the spine's step for that stage, is public too. Nothing here is
a hard-coded list of packages: a new package with an ``__all__`` gets its page on the next build.

:func:`public_modules` and :func:`public_objects` are shared by the Sphinx build
(:func:`write_api_pages`, run at ``builder-inited``) and by ``tests/test_docs_api.py``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from pathlib import Path

#: Modules that are not library API: the command line and the self-check.
SKIP = ("moonbase.cli", "moonbase.__main__")

#: Sections of the API index, in the order a reader meets the stages; modules not named here
#: (a package added later) go under "More packages".
SECTIONS = (
    ("The plan", ("moonbase", "moonbase.spine", "moonbase.closure", "moonbase.pipeline")),
    ("Studies", ("moonbase.study",)),
    ("Scenario", ("moonbase.scenario",)),
    ("Environment", ("moonbase.time", "moonbase.ephemeris")),
    ("Site", ("moonbase.terrain", "moonbase.site")),
    ("Campaign", ("moonbase.campaign", "moonbase.logistics")),
    ("Systems", ("moonbase.systems",)),
    ("Science", ("moonbase.science",)),
    ("Orbit node", ("moonbase.orbit",)),
    ("Report, store and portal", ("moonbase.report", "moonbase.store", "moonbase.server")),
    (
        "Utilities",
        (
            "moonbase.windows",
            "moonbase.io",
            "moonbase.datastore",
            "moonbase.fetch",
            "moonbase.extras",
        ),
    ),
)
OTHER = "More packages"


@dataclass(frozen=True)
class PublicObject:
    """One exported name: where it is documented, what it is."""

    module: str  # the module that exports it (the page it is on)
    name: str
    kind: str  # "function", "class", "exception" or "data"
    obj: object
    canonical: bool = True  # False where an earlier public module exports the same object

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


def public_modules() -> list[str]:
    """``moonbase`` and each of its sub-packages and top-level modules that has an ``__all__``,
    followed by each package's ``stage`` module where it has one."""
    import moonbase

    found = ["moonbase"]
    for info in sorted(pkgutil.iter_modules(moonbase.__path__), key=lambda i: i.name):
        name = f"moonbase.{info.name}"
        if name in SKIP or info.name.startswith("_"):
            continue
        module = importlib.import_module(name)
        if hasattr(module, "__all__"):
            found.append(name)
        if info.ispkg:
            stage = f"{name}.stage"
            try:
                spec = importlib.util.find_spec(stage)
            except ModuleNotFoundError:
                spec = None
            if spec is not None and hasattr(importlib.import_module(stage), "__all__"):
                found.append(stage)
    return found


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj) and not isinstance(obj, type):
        return "function"
    return "data"


def public_objects(module_name: str) -> list[PublicObject]:
    """The names in ``module_name.__all__`` (``__version__`` aside) with their kinds.

    An object that an earlier module of :func:`public_modules` also exports (``moonbase.Plan``
    is ``moonbase.spine.Plan``) is marked not ``canonical``: it is listed, but cross-references
    go to the first.
    """
    earlier: set[int] = set()
    for other in public_modules():
        if other == module_name:
            break
        mod = importlib.import_module(other)
        for name in mod.__all__:
            value = getattr(mod, name)
            if inspect.isclass(value) or inspect.isroutine(value):
                earlier.add(id(value))
    module = importlib.import_module(module_name)
    out = []
    for name in module.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(module, name)
        out.append(PublicObject(module_name, name, _kind(obj), obj, id(obj) not in earlier))
    return out


def data_comment(module_name: str, name: str) -> list[str]:
    """The ``#:`` comment documenting ``module_name.name``, found in the module that defines it
    (a package re-exports constants that one of its modules documents)."""
    from sphinx.pycode import ModuleAnalyzer

    module = importlib.import_module(module_name)
    value = getattr(module, name)
    candidates = [module_name]
    if hasattr(module, "__path__"):
        candidates += [
            f"{module_name}.{info.name}" for info in pkgutil.iter_modules(module.__path__)
        ]
    for candidate in candidates:
        try:
            mod = importlib.import_module(candidate)
        except ImportError:
            continue
        if getattr(mod, name, None) is not value:
            continue
        try:
            docs = ModuleAnalyzer.for_module(candidate).find_attr_docs()
        except Exception:  # no source to read
            continue
        if ("", name) in docs:
            return [line for line in docs[("", name)] if line is not None]
    return []


def sections() -> list[tuple[str, list[str]]]:
    """The public modules grouped for the API index; unknown ones under :data:`OTHER`."""
    modules = public_modules()
    placed: set[str] = set()
    grouped = []
    for title, names in SECTIONS:
        here = [m for m in modules if m in names or m.removesuffix(".stage") in names]
        here.sort(key=lambda m: (names.index(m.removesuffix(".stage")), m))
        placed.update(here)
        if here:
            grouped.append((title, here))
    rest = [m for m in modules if m not in placed]
    if rest:
        grouped.append((OTHER, rest))
    return grouped


_DIRECTIVE = {
    "function": "autofunction",
    "class": "autoclass",
    "exception": "autoexception",
    "data": "autodata",
}


def summary(obj: PublicObject) -> str:
    """The first paragraph of an object's documentation, on one line."""
    if obj.kind == "data":
        text = "\n".join(data_comment(obj.module, obj.name))
    else:
        text = inspect.getdoc(obj.obj) or ""
    first = text.strip().split("\n\n")[0]
    return " ".join(first.split())


def page_text(module_name: str) -> str:
    """The reST source of one module's reference page."""
    title = f"``{module_name}``"
    lines = [
        ".. This page is written by docs/_ext/moonbase_api.py at each build; do not edit.",
        "",
        title,
        "=" * len(title),
        "",
        f".. automodule:: {module_name}",
        "   :no-members:",
        "",
    ]
    objects = public_objects(module_name)
    if objects:
        lines += [".. list-table::", "   :widths: 30 70", ""]
        for obj in objects:
            role = {"function": "func", "data": "data"}.get(obj.kind, "class")
            lines += [f"   * - :py:{role}:`~{obj.qualified}`", f"     - {summary(obj)}"]
        lines.append("")
    for obj in objects:
        index = [] if obj.canonical else ["   :no-index:"]
        if obj.kind == "data":
            lines += [f".. py:data:: {obj.qualified}"] + index + [""]
            lines += [f"   {line}" for line in data_comment(module_name, obj.name)] + [""]
            continue
        lines.append(f".. {_DIRECTIVE[obj.kind]}:: {obj.qualified}")
        lines += index
        own = getattr(obj.obj, "__module__", "").startswith("moonbase")
        if obj.kind in ("class", "exception") and own:
            lines += ["   :members:", "   :show-inheritance:"]
        lines.append("")
    return "\n".join(lines)


def index_text() -> str:
    """The reST source of the API index: one toctree per section."""
    lines = [
        ".. This page is written by docs/_ext/moonbase_api.py at each build; do not edit.",
        "",
        "API reference",
        "=============",
        "",
        "Every name a package exports in its ``__all__``, from its docstring. A page per stage",
        "package; a package's ``stage`` module is the spine's step for that stage",
        "(:doc:`/explanation/spine`). The pages are generated at each build by walking",
        "``moonbase``, so a new package appears here by itself.",
        "",
    ]
    for title, modules in sections():
        lines += [f".. rubric:: {title}", "", ".. toctree::", "   :maxdepth: 1", ""]
        lines += [f"   {m}" for m in modules] + [""]
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_api_pages(app) -> None:
    """``builder-inited``: (re)write ``api/*.rst`` under the source folder."""
    folder = Path(app.srcdir) / "api"
    folder.mkdir(exist_ok=True)
    wanted = {"index.rst": index_text()}
    for module in public_modules():
        wanted[f"{module}.rst"] = page_text(module)
    for stale in folder.glob("*.rst"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        _write_if_changed(folder / name, text)


def skip_foreign_member(app, what, name, obj, skip, options):
    """Leave out members that a class inherits from a library (SQLAlchemy's ``metadata``...)."""
    if skip:
        return None
    owner = getattr(obj, "fget", obj)
    module = getattr(owner, "__module__", None)
    if isinstance(module, str) and not module.startswith("moonbase"):
        return True
    return None


def setup(app):
    app.connect("builder-inited", write_api_pages)
    app.connect("autodoc-skip-member", skip_foreign_member)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
