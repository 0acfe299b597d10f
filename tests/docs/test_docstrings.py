"""Every public function and class of moonbase has a docstring that renders.

Public is what the API reference documents (``docs/_ext/moonbase_api.py``): the ``__all__`` of
``moonbase``, of each sub-package and top-level module, and of each package's ``stage`` module,
found by walking the package. Each docstring is converted by Sphinx's napoleon (numpy and Google
sections, as the docs build does) and parsed by docutils with the build's cross-reference roles;
any warning or error from the parser fails the test, naming the object and the line.
"""

from __future__ import annotations

import inspect
import io
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "sphinx", reason="the docs extra is not installed: pip install 'moonbase[docs]'"
)

from docutils.core import publish_doctree
from docutils.parsers.rst import roles
from docutils.utils import SystemMessage
from sphinx.ext.napoleon import Config
from sphinx.ext.napoleon.docstring import GoogleDocstring, NumpyDocstring

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import moonbase_api  # noqa: E402

#: The cross-reference roles Sphinx knows and plain docutils does not.
SPHINX_ROLES = (
    "func meth class attr mod data obj exc const any doc ref term envvar option "
    "py:func py:meth py:class py:attr py:mod py:data py:obj py:exc"
).split()


def _reference_role(name, rawtext, text, lineno, inliner, options=None, content=()):
    from docutils import nodes

    return [nodes.literal(rawtext, text)], []


for _role in SPHINX_ROLES:
    roles.register_local_role(_role, _reference_role)

NAPOLEON = Config(napoleon_numpy_docstring=True, napoleon_google_docstring=True)


def public_callables():
    for module in moonbase_api.public_modules():
        for obj in moonbase_api.public_objects(module):
            if obj.kind != "data":
                yield obj


PUBLIC = list(public_callables())


def test_the_api_has_the_stage_packages():
    names = {o.qualified for o in PUBLIC}
    assert len(PUBLIC) > 200
    for expected in (
        "moonbase.plan",
        "moonbase.ephemeris.horizontal",
        "moonbase.terrain.horizon_map",
        "moonbase.site.rank_sites",
        "moonbase.campaign.optimise_campaign",
        "moonbase.systems.simulate_station",
        "moonbase.science.schedule_cpsat",
        "moonbase.orbit.analyse_orbit",
        "moonbase.site.stage.choose_site",
    ):
        assert expected in names


def test_every_package_with_an_all_has_a_page():
    """A package added under src/moonbase with an ``__all__`` is picked up by the walk."""
    modules = moonbase_api.public_modules()
    placed = [m for _, group in moonbase_api.sections() for m in group]
    assert sorted(placed) == sorted(modules)
    for init in sorted((ROOT / "src" / "moonbase").glob("*/__init__.py")):
        if "__all__" in init.read_text(encoding="utf-8"):
            assert f"moonbase.{init.parent.name}" in modules, init


def _own_docstring(obj) -> str | None:
    doc = obj.__doc__
    if doc is None:
        return None
    if inspect.isclass(obj) and re.match(rf"^{re.escape(obj.__name__)}\(", doc.strip()):
        return None  # the signature a dataclass writes when it has no docstring
    return inspect.cleandoc(doc)


def render(text: str, what: str) -> list[str]:
    """Warnings and errors docutils reports on ``text`` after napoleon's conversion."""
    lines = str(
        NumpyDocstring(str(GoogleDocstring(text, NAPOLEON, what=what)), NAPOLEON, what=what)
    )
    stream = io.StringIO()
    try:
        publish_doctree(
            lines,
            settings_overrides={
                "report_level": 2,
                "halt_level": 5,
                "warning_stream": stream,
                "file_insertion_enabled": False,
                "raw_enabled": False,
            },
        )
    except SystemMessage as error:  # pragma: no cover - halt_level 5 never halts
        return [str(error)]
    return [line for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize("public", PUBLIC, ids=[o.qualified for o in PUBLIC])
def test_docstring_exists_and_renders(public):
    doc = _own_docstring(public.obj)
    assert doc, f"{public.qualified} has no docstring"
    what = "class" if inspect.isclass(public.obj) else "function"
    problems = render(doc, what)
    assert not problems, f"{public.qualified}: " + " | ".join(problems)


def test_render_catches_a_broken_docstring():
    assert render("Fine ``code`` and :func:`moonbase.plan`.", "function") == []
    assert render("Broken ``code and *emphasis.", "function")
    assert render("A list:\n  indented\nunindented", "function")
