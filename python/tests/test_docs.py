"""The examples in the package's docstrings run and print what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "fuseplug",
    "fuseplug.context",
    "fuseplug.dataframe",
    "fuseplug.expr",
    "fuseplug.functions",
    "fuseplug.functions.spark",
    "fuseplug.udf",
    "fuseplug.exceptions",
    "fuseplug.catalog",
    "fuseplug.plan",
    "fuseplug.native",
    "fuseplug.ipc",
    "fuseplug.common",
    "fuseplug._variants",
    "fuseplug._higher_order",
    "fuseplug.dataframe_formatter",
    "fuseplug.input",
    "fuseplug.options",
    "fuseplug.io",
    "fuseplug.substrait",
    "fuseplug.unparser",
    "fuseplug.object_store",
    "fuseplug._context_sources",
    "fuseplug.extensions",
    "fuseplug._context_extensions",
    "fuseplug.distributed",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    for public in getattr(module, "__all__", []):
        getattr(module, public)  # load lazily imported names, so their docstrings are tested too
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_package_has_doctests() -> None:
    finder = doctest.DocTestFinder()
    examples = 0
    for name in MODULES:
        for test in finder.find(importlib.import_module(name)):
            examples += len(test.examples)
    assert examples >= 10
