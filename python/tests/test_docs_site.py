"""The docs site, built as ``make docs`` builds it and looked at in a real browser.

The module builds the site into build/site (mkdocs.yml, strict: a broken internal link or a failing
example fails the build), serves it on 127.0.0.1 and opens every page in headless Chromium through
Playwright (Debian's ``chromium``: ``make browser`` installs it, and ``make test`` depends on that).
Then:

- each ```python block of README.md and docs/*.md ran during the build (``test_docs_example``,
  one test per block, read from the build's report ``build/site-examples.json``);
- every page reachable from the home page loads, without console or page errors, and every internal
  link of every page leads to a page that exists and to an element with the link's #anchor;
- the API pages hold the documented methods (from docstrings and from ``_internal.pyi``);
- screenshots of the home page, the user guide and an API page go to build/screenshots/;
- ``DataFrame._repr_html_`` of a wide, a long, a nested table with nulls, and one holding HTML,
  rendered in the browser: what it shows, and that nothing in a cell runs as markup or script.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

import pytest

from tools.docs_blocks import DOC_FILES, ROOT, all_blocks

SITE = ROOT / "build" / "site"
REPORT = SITE.with_name("site-examples.json")
SCREENSHOTS = ROOT / "build" / "screenshots"
REPR_PAGES = ROOT / "build" / "repr-html"
#: Seconds the site build may take (the examples run during it: about 30 s on 2 cores).
BUILD_TIMEOUT = 150


def chromium_path() -> str:
    """Debian's chromium (``make browser``), or the one named by ``CHROMIUM``."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            f"no Chromium at {path}: run `make browser` (apt-get install chromium), or set "
            "CHROMIUM to a Chromium binary"
        )
    return path


# --- the build ----------------------------------------------------------------------------------


@dataclass
class Build:
    returncode: int
    output: str
    seconds: float
    report: dict[str, Any] | None

    def check(self) -> None:
        assert self.returncode == 0, f"mkdocs build failed:\n{self.output[-8000:]}"


@pytest.fixture(scope="module")
def build() -> Build:
    REPORT.unlink(missing_ok=True)
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    report = json.loads(REPORT.read_text()) if REPORT.exists() else None
    return Build(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - began, report)


@pytest.fixture(scope="module")
def site(build: Build) -> Path:
    build.check()
    return SITE


def test_site_builds_in_strict_mode(build: Build) -> None:
    build.check()
    pages = {p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")}
    expected = {f"{p.stem if p.name != 'README.md' else 'readme'}.html" for p in DOC_FILES}
    assert expected <= pages, expected - pages
    assert {"api/context.html", "api/dataframe.html", "api/functions.html"} <= pages


RUNNABLE = [b for b in all_blocks() if not b.needs_server]


@pytest.mark.parametrize("name", [b.name for b in RUNNABLE])
def test_docs_example(name: str, build: Build) -> None:
    """Each docs example ran to its end while the site was built."""
    if build.report is None:
        pytest.fail(f"the build wrote no examples report:\n{build.output[-8000:]}")
    assert name in build.report["blocks"], f"{name} was not run by the build"
    failure = build.report["blocks"][name]
    assert failure is None, failure


def test_docs_example_files_exit_cleanly(build: Build) -> None:
    """Every page's script exits 0 (no crash at shutdown) and leaves no process running."""
    if build.report is None:
        pytest.fail(f"the build wrote no examples report:\n{build.output[-8000:]}")
    failures = {name: f["failure"] for name, f in build.report["files"].items() if f["failure"]}
    assert failures == {}
    assert len(build.report["files"]) >= 8


# --- serving and browsing -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """``python -m http.server`` on 127.0.0.1 (a free port) over the built site."""
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "-d", str(site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 40123 (http://...) ..."
        port = int(line.split(" port ")[1].split()[0])
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Page:
    url: str
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)  # absolute hrefs of <a> elements


def visit(context: Any, url: str) -> Page:
    result = Page(url)
    page = context.new_page()
    page.on(
        "console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None
    )
    page.on("pageerror", lambda e: result.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: result.failed_requests.append(r.url))
    response = page.goto(url, wait_until="load")
    result.status = response.status if response is not None else None
    page.wait_for_load_state("networkidle")
    result.ids = set(
        page.eval_on_selector_all("[id], a[name]", "els => els.map(e => e.id || e.name)")
    )
    result.links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    page.close()
    return result


@pytest.fixture(scope="module")
def crawl(server: str, browser: Any) -> dict[str, Page]:
    """Every page reachable from the home page by internal links, visited once."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pages: dict[str, Page] = {}
    queue = [server + "index.html"]
    while queue:
        url = queue.pop()
        if url in pages:
            continue
        pages[url] = page = visit(context, url)
        for link in page.links:
            target, _ = urldefrag(link)
            if target.startswith(server) and target.endswith(".html") and target not in pages:
                queue.append(target)
    context.close()
    return pages


def internal_links(crawl: dict[str, Page], server: str) -> Iterator[tuple[str, str]]:
    for page in crawl.values():
        for link in page.links:
            if link.startswith(server):
                yield page.url, link


def test_every_page_is_reached_and_loads(crawl: dict[str, Page], server: str, site: Path) -> None:
    built = {
        server + p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if p.name != "404.html"
    }
    assert built - set(crawl) == set(), "pages no link leads to"
    assert {url: p.status for url, p in crawl.items() if p.status != 200} == {}
    assert len(crawl) >= 20


def test_no_console_or_page_errors(crawl: dict[str, Page]) -> None:
    errors = {
        url: p.console_errors + p.page_errors + p.failed_requests
        for url, p in crawl.items()
        if p.console_errors or p.page_errors or p.failed_requests
    }
    assert errors == {}


def test_internal_links_resolve_to_pages_and_anchors(
    crawl: dict[str, Page], server: str, browser: Any
) -> None:
    checked = 0
    broken: list[str] = []
    context = browser.new_context()
    statuses: dict[str, int] = {}
    for source, link in internal_links(crawl, server):
        target, anchor = urldefrag(link)
        if target not in crawl and target not in statuses:  # not a page: an asset, a download
            statuses[target] = context.request.get(target).status
        status = crawl[target].status if target in crawl else statuses[target]
        checked += 1
        if status != 200:
            broken.append(f"{source} -> {link}: HTTP {status}")
        elif anchor and target in crawl and unquote(anchor) not in crawl[target].ids:
            broken.append(f"{source} -> {link}: no element with id {unquote(anchor)!r}")
    context.close()
    assert broken == []
    assert checked > 500  # the nav on every page, the API pages' tables of contents


API_ENTRIES = {
    "api/context.html": [
        "fuseplug.SessionContext.sql",
        "fuseplug.SessionContext.read_parquet",  # inherited from FileSources
        "fuseplug.SessionContext.register_udf",
        "fuseplug.SessionConfig.with_target_partitions",  # from the stub _internal.pyi
        "fuseplug.RuntimeEnvBuilder.with_memory_limit",
        "fuseplug.SQLOptions.with_allow_ddl",
    ],
    "api/dataframe.html": [
        "fuseplug.DataFrame.filter",
        "fuseplug.DataFrame.aggregate",
        "fuseplug.DataFrame.write_parquet",
        "fuseplug.DataFrame.to_pydict",
    ],
    "api/expr.html": ["fuseplug.Expr.alias", "fuseplug.Expr.sort", "fuseplug.expr.col"],
    "api/functions.html": ["fuseplug.functions.sum", "fuseplug.functions.date_trunc"],
    "api/udf.html": ["fuseplug.udf.udf", "fuseplug.udf.udaf", "fuseplug.udf.ScalarUDF"],
    "api/exceptions.html": ["fuseplug.exceptions.SQLError", "fuseplug.exceptions.PlanError"],
}


@pytest.mark.parametrize("path", sorted(API_ENTRIES))
def test_api_pages_document_the_methods(path: str, crawl: dict[str, Page], server: str) -> None:
    page = crawl[server + path]
    missing = [entry for entry in API_ENTRIES[path] if entry not in page.ids]
    assert missing == []


def test_api_page_shows_docstrings_and_signatures(site: Path) -> None:
    html = (site / "api" / "context.html").read_text()
    assert "Plans one SQL statement." in html  # SessionContext.sql's docstring
    assert "with_memory_limit" in html and "memory_fraction" in html  # the stub's signature
    assert "&gt;&gt;&gt;" in html and "<blockquote>" not in html  # doctests as code, not quotes
    assert ":class:" not in html and ":meth:" not in html  # Sphinx roles rendered as code


# --- screenshots --------------------------------------------------------------------------------


def assert_real_png(path: Path, width: int, height: int) -> None:
    from PIL import Image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.size == (width, height)
        colors = image.convert("RGB").getcolors(maxcolors=1 << 16)
        # None: more colours than that; otherwise a page with text has hundreds of shades
        assert colors is None or len(colors) > 50, f"{path} looks blank ({len(colors)} colours)"


SCREENSHOT_PAGES = {
    "index": ("index.html", "fuseplug documentation"),
    "user-guide": ("user-guide.html", "User guide"),
    "api-context": ("api/context.html#fuseplug.SessionContext.sql", "Session"),
}


@pytest.mark.parametrize("name", sorted(SCREENSHOT_PAGES))
def test_screenshot(name: str, server: str, browser: Any) -> None:
    path, heading = SCREENSHOT_PAGES[name]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + path, wait_until="networkidle")
    assert heading in page.locator("article h1").first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(out))
    page.close()
    assert_real_png(out, 1280, 900)


# --- DataFrame._repr_html_ in the browser -------------------------------------------------------

SCRIPT_CELL = "<script>window.__pwned = 1</script>"
IMG_CELL = '<img src=x onerror="window.__pwned=2">'


def repr_frames() -> dict[str, Any]:
    import pyarrow as pa

    from fuseplug import SessionContext

    ctx = SessionContext()
    nested = pa.table(
        {
            "id": [1, 2, 3],
            "point": pa.array(
                [{"x": 1.5, "y": None}, None, {"x": -2.0, "y": 4.25}],
                pa.struct([("x", pa.float64()), ("y", pa.float64())]),
            ),
            "tags": pa.array([["a", None], [], None], pa.list_(pa.string())),
            "attrs": pa.array(
                [[("k", 1)], None, [("k", 2), ("z", None)]], pa.map_(pa.string(), pa.int64())
            ),
            "note": [None, "two", None],
        }
    )
    return {
        "wide": ctx.from_pydict({f"c{i:02d}": [i, i * 10] for i in range(40)}),
        "long": ctx.sql("SELECT value AS n, value * 2 AS twice FROM range(1000)"),
        "nested": ctx.from_arrow(nested),
        "escaping": ctx.from_pydict({"payload": [SCRIPT_CELL, IMG_CELL], "<b>col</b>": ["x", "y"]}),
    }


@pytest.fixture(scope="module")
def repr_pages() -> dict[str, Path]:
    REPR_PAGES.mkdir(parents=True, exist_ok=True)
    pages = {}
    for name, df in repr_frames().items():
        path = REPR_PAGES / f"{name}.html"
        path.write_text(
            '<!doctype html>\n<html><head><meta charset="utf-8"><title>'
            f"{name}</title></head>\n<body>\n{df._repr_html_()}\n</body></html>\n"
        )
        pages[name] = path
    return pages


@dataclass
class Rendered:
    headers: list[str]
    rows: list[list[str]]  # each cell's textContent
    text: str  # the visible text of the page
    errors: list[str]
    pwned: Any
    images: int
    scrolls_sideways: bool  # the table's box scrolls to the columns beyond its width


def render(
    browser: Any, path: Path, name: str, then: Callable[[Any], None] | None = None
) -> Rendered:
    """Opens a ``_repr_html_`` page, runs ``then(page)`` (clicks), reads it and screenshots it."""
    page = browser.new_page(viewport={"width": 1100, "height": 420})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(200)  # an injected onerror handler would have fired by now
    if then is not None:
        then(page)
    rendered = Rendered(
        headers=page.eval_on_selector_all("thead th", "els => els.map(e => e.textContent)"),
        rows=page.eval_on_selector_all(
            "tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
        ),
        text=page.inner_text("body"),
        errors=errors,
        pwned=page.evaluate("typeof window.__pwned === 'undefined' ? null : window.__pwned"),
        images=page.locator("img").count(),
        scrolls_sideways=page.evaluate(
            "(() => { const box = document.querySelector('table').parentElement;"
            " return box.scrollWidth > box.clientWidth; })()"
        ),
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / f"repr-{name}.png"
    page.screenshot(path=str(out))
    page.close()
    assert_real_png(out, 1100, 420)
    return rendered


def test_repr_html_wide_table(repr_pages: dict[str, Path], browser: Any) -> None:
    shown = render(browser, repr_pages["wide"], "wide")
    assert shown.errors == []
    assert shown.headers == [f"c{i:02d}" for i in range(40)]
    assert shown.rows == [[str(i) for i in range(40)], [str(i * 10) for i in range(40)]]
    assert "Data truncated" not in shown.text
    assert shown.scrolls_sideways  # 40 columns are wider than max_width: the box scrolls


def test_repr_html_long_table_is_truncated(repr_pages: dict[str, Path], browser: Any) -> None:
    shown = render(browser, repr_pages["long"], "long")
    assert shown.errors == []
    assert shown.headers == ["n", "twice"]
    assert shown.rows == [[str(n), str(2 * n)] for n in range(10)]  # the default max_rows
    assert "Data truncated due to size." in shown.text


def test_repr_html_nested_types_and_nulls(repr_pages: dict[str, Path], browser: Any) -> None:
    shown = render(browser, repr_pages["nested"], "nested")
    assert shown.errors == []
    assert shown.headers == ["id", "point", "tags", "attrs", "note"]
    by_id = {row[0]: row for row in shown.rows}
    assert set(by_id) == {"1", "2", "3"}
    assert "'x': 1.5" in by_id["1"][1] and "'y': None" in by_id["1"][1]  # struct, null field
    assert by_id["2"][1] == "None"  # null struct
    assert by_id["1"][2] == "['a', None]" and by_id["2"][2] == "[]" and by_id["3"][2] == "None"
    assert "('k', 1)" in by_id["1"][3] and by_id["2"][3] == "None"  # map, null map
    assert [by_id[i][4] for i in "123"] == ["None", "two", "None"]


def expand_cells(page: Any) -> None:
    for button in page.locator(".expand-btn").all():
        button.click()


def test_repr_html_escapes_cells_and_headers(repr_pages: dict[str, Path], browser: Any) -> None:
    shown = render(browser, repr_pages["escaping"], "escaping", then=expand_cells)
    assert shown.errors == []
    assert shown.pwned is None, "a cell's markup ran in the browser"
    assert shown.images == 0
    assert shown.headers == ["payload", "<b>col</b>"]
    cells = [row[0] for row in shown.rows]
    # long cells hold a short and a full copy (the "..." button expands it): the full literal text
    assert SCRIPT_CELL in cells[0] and IMG_CELL in cells[1]
    # expanded, the literal text is what the reader sees
    assert SCRIPT_CELL in shown.text and IMG_CELL in shown.text
    assert shown.text.count("(less)") == 2


def test_a_failing_example_fails_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook's own path, on a page of two blocks whose first fails."""
    from mkdocs.exceptions import PluginError

    from tools import docs_blocks, docs_site

    page = tmp_path / "page.md"
    page.write_text("```python\nraise ValueError('broken example')\n```\n```python\npass\n```\n")
    monkeypatch.setattr(docs_blocks, "DOC_FILES", [page])
    config = {"site_dir": str(tmp_path / "site")}
    docs_site.on_pre_build(config)
    with pytest.raises(PluginError, match=r"2 failure\(s\) in the docs' examples") as failed:
        docs_site.on_post_build(config)
    assert str(failed.value).count("ValueError: broken example") == 1
    assert "page.md:1 not reached" in str(failed.value)
    report = json.loads((tmp_path / "site-examples.json").read_text())
    assert report["blocks"]["page.md:1"] == "page.md:1 not reached: block 0 of page.md failed"
    assert report["files"]["page.md"]["returncode"] == 1
