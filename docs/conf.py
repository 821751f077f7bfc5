"""Sphinx configuration for skneq."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import skneq  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _layout  # noqa: E402

_layout.write()  # the package tree of developer.rst, from the code itself

project = "skneq"
author = "skneq developers"
release = version = skneq.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
exclude_patterns = ["_build", "layout.txt", "tables", "generated_tables", "benchmarks"]
html_theme = "alabaster"
intersphinx_mapping = {}
nitpicky = False
suppress_warnings = ["myst.header"]
