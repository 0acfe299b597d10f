"""Sphinx configuration of the moonbase documentation (``make docs``).

Sphinx with MyST-NB: pages are Markdown, tutorials are MyST notebooks executed at build time
(cached by jupyter-cache in ``docs/_build/.jupyter_cache``), the API reference comes from the
docstrings through autodoc. Everything builds offline: no intersphinx, no CDN scripts (the
``build-finished`` check below refuses any page that loads a script or style from the network).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import moonbase  # noqa: E402

project = "moonbase"
author = "the moonbase contributors"
copyright = "moonbase contributors, Apache-2.0"
release = moonbase.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "moonbase_api",
    "scenario_fields",
    "offline_check",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "_ext"]
suppress_warnings: list[str] = []

# MyST: tables, definition lists, ``{term}`` anchors for headings.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks: executed at build time, cached between builds (the cache key is the code cells),
# an error or a warning printed by a cell fails the build.
nb_execution_mode = "cache"
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_output_stderr = "warn"
nb_merge_streams = True
nb_ipywidgets_js = {}  # no widget scripts from a CDN

# API reference: numpy/Google docstrings, members in source order, type hints in the signature.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"undoc-members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_rtype = False
add_module_names = False

html_theme = "furo"
html_title = f"moonbase {release}"
html_show_sourcelink = False
html_theme_options = {"navigation_with_keys": True}
