"""A griffe extension (mkdocs.yml: mkdocstrings' ``extensions``) that turns fuseplug's docstrings into
the Markdown the API pages render.

The docstrings are written for ``doctest`` and in Sphinx's style, and the ``functions`` module's
carry DataFusion's own function docs:

- ``>>>`` examples become ```` ```pycon ```` blocks (Markdown would read them as quotes);
- roles such as ``:class:`~fuseplug.expr.Expr``` become the code they name (``Expr``);
- a link to another function of the same module (``[coalesce](#coalesce)``) points at that
  function's entry, and a link into DataFusion's docs (``struct_coercion.md#...``) at the page on
  datafusion.apache.org.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|exc|data|obj|const|ref):`(~?)([^`]+)`")
SAME_PAGE_LINK = re.compile(r"\]\(#([A-Za-z_][\w]*)\)")
DATAFUSION_DOC_LINK = re.compile(r"\]\((?!https?:|#)([\w/-]+)\.md(#[\w-]+)?\)")
DATAFUSION_SQL_DOCS = "https://datafusion.apache.org/user-guide/sql/"
PROMPT = re.compile(r"^(\s*)(>>>|\.\.\.)( |$)")


def plain_roles(text: str) -> str:
    """``:class:`~a.b.C``` -> ```C```, ``:func:`a.f``` -> ```a.f```."""
    return ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", text)


def fence_doctests(text: str) -> str:
    """Wraps each doctest (``>>>`` lines, their ``...`` continuations and expected output, up to a
    blank line) in a ```` ```pycon ```` fence, unless it is inside a fence already."""
    out: list[str] = []
    lines = text.splitlines()
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        prompt = PROMPT.match(line)
        if in_fence or not prompt or prompt[2] != ">>>":
            out.append(line)
            i += 1
            continue
        indent = prompt[1]
        out.append(f"{indent}```pycon")
        while i < len(lines) and lines[i].strip():
            out.append(lines[i])
            i += 1
        out.append(f"{indent}```")
    return "\n".join(out)


def markdown_docstring(text: str, module_path: str) -> str:
    text = plain_roles(text)
    text = fence_doctests(text)
    text = SAME_PAGE_LINK.sub(lambda m: f"][{module_path}.{m[1]}]", text)
    return DATAFUSION_DOC_LINK.sub(
        lambda m: f"]({DATAFUSION_SQL_DOCS}{m[1]}.html{m[2] or ''})", text
    )


class FuseplugDocstrings(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            module = obj.module.path if not obj.is_module else obj.path
            obj.docstring.value = markdown_docstring(obj.docstring.value, module)
