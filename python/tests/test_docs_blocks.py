"""Every ```python block in README.md and docs/*.md runs as written: they are examples users paste.

How a file's blocks run: in order, as one script, in one fresh interpreter (the ``run_python``
fixture), in a temporary working directory holding the small data files the docs name
(``trips.parquet``, ``data/...``, ``tpch/lineitem.parquet``, a Delta table at ``path/to/delta``).
That is how a reader pastes a page: the user guide's blocks build on one ``ctx``, the plugin page's
on ``ex`` and its tables. Each block is compiled under its Markdown file's path and line numbers, so
a traceback points into the page. The script runs as ``__main__`` from a file, so a block that starts
``multiprocessing`` "spawn" workers behaves as it does in a reader's script.

A block right after the line ``<!-- docs-test: needs-server -->`` (S3, machines of a cluster, a
server that runs until stopped) is skipped, and counted. A block written as a doctest (``>>>``) is
run by ``doctest`` and must print what it shows. A one-line expression followed by a comment that is
a Python literal (``df.to_pydict()  # {'two': [2]}``) must evaluate to that literal.

Each block is a test of its own (``file:index``), reading the outcome of its file's single run; a
block after a failing one fails as "not reached". Processes a block leaves running in the working
directory (a ``LocalCluster``'s workers, say) fail their file's test and are killed.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import RunPython

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NEEDS_SERVER = re.compile(r"^\s*<!--\s*docs-test:\s*needs-server\b.*-->\s*$")
FENCE_OPEN = re.compile(r"^(?P<indent>\s*)```python\s*$")
FENCE_CLOSE = re.compile(r"^\s*```\s*$")
#: Seconds one file's blocks may take together before the run counts as hung.
FILE_TIMEOUT = 90
START, DONE = "@@docs-block-start", "@@docs-block-done"


@dataclass(frozen=True)
class Block:
    path: Path
    index: int  # position among the file's ```python blocks, from 0
    line: int  # 1-based line of the block's first code line in the Markdown file
    source: str
    needs_server: bool

    @property
    def name(self) -> str:
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path.name
        return f"{path}:{self.index}"

    @property
    def is_doctest(self) -> bool:
        return self.source.lstrip().startswith(">>>")


def extract_blocks(path: Path) -> list[Block]:
    """The ```python blocks of a Markdown file, in order."""
    lines = path.read_text().splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opened = FENCE_OPEN.match(lines[i])
        if not opened:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not FENCE_CLOSE.match(lines[end]):
            end += 1
        if end == len(lines):
            raise AssertionError(f"{path}:{i + 1}: a ```python fence is never closed")
        indent = len(opened.group("indent"))
        body = "\n".join(line[indent:] for line in lines[i + 1 : end]) + "\n"
        marked = i > 0 and bool(NEEDS_SERVER.match(lines[i - 1]))
        blocks.append(Block(path, len(blocks), i + 2, body, marked))
        i = end + 1
    return blocks


def literal_comment_checks(source: str) -> dict[int, tuple[str, str]]:
    """One-line expression statements whose trailing comment is a Python literal: their line (in
    the block, 1-based) -> (the expression's source, the literal's source)."""
    try:
        tree = ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError):
        return {}
    comments = {t.start[0]: t.string[1:].strip() for t in tokens if t.type == tokenize.COMMENT}
    checks: dict[int, tuple[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.Expr) or node.lineno != node.end_lineno:
            continue
        comment = comments.get(node.lineno)
        if not comment or "..." in comment:
            continue
        try:
            ast.literal_eval(comment)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        checks[node.lineno] = (ast.get_source_segment(source, node.value) or "", comment)
    return checks


def block_code(block: Block) -> str:
    """The block's source as it runs: expression lines with a literal comment become checks, and
    blank lines in front keep the Markdown file's line numbers."""
    lines = block.source.splitlines()
    for lineno, (expr, expected) in literal_comment_checks(block.source).items():
        where = f"{block.name} (line {block.line + lineno - 1})"
        lines[lineno - 1] = f"_docs_expect(({expr}), {expected}, {where!r})"
    return "\n" * (block.line - 1) + "\n".join(lines) + "\n"


PRELUDE = f"""\
import doctest as _docs_doctest
import json as _docs_json
import sys as _docs_sys

with open(__file__.removesuffix(".py") + ".json") as _docs_file:
    _docs_code = _docs_json.load(_docs_file)


def _docs_mark(tag, index):
    if __name__ == "__main__":  # not in multiprocessing children that re-run this script
        print(tag, index, file=_docs_sys.stderr, flush=True)


def _docs_expect(value, expected, where):
    if value != expected:
        raise AssertionError(f"{{where}}: got {{value!r}}, the docs say {{expected!r}}")


def _docs_run_doctest(source, filename, line, name):
    parser = _docs_doctest.DocTestParser()
    test = parser.get_doctest(source, globals(), name, filename, line - 1)
    flags = _docs_doctest.ELLIPSIS | _docs_doctest.NORMALIZE_WHITESPACE
    runner = _docs_doctest.DocTestRunner(optionflags=flags)
    report = []
    runner.run(test, out=report.append, clear_globs=False)
    if runner.failures:
        raise AssertionError("".join(report))


_docs_mark({START!r}, -1)
"""


def file_script(blocks: list[Block]) -> tuple[str, str]:
    """One script that runs the file's runnable blocks in order, marking each start and end, and
    the JSON of the code it runs (read from the ``.json`` file beside the script)."""
    parts = [PRELUDE]
    codes: list[str] = []
    for block in blocks:
        if block.needs_server:
            continue
        parts.append(f"_docs_mark({START!r}, {block.index})")
        if block.is_doctest:
            args = (block.source, str(block.path), block.line, block.name)
            parts.append(f"_docs_run_doctest{args!r}")
        else:
            codes.append(block_code(block))
            compiled = f"compile(_docs_code[{len(codes) - 1}], {str(block.path)!r}, 'exec')"
            parts.append(f"exec({compiled}, globals())")
        parts.append(f"_docs_mark({DONE!r}, {block.index})")
    return "\n".join(parts) + "\n", json.dumps(codes)


BLOCKS = [block for path in DOC_FILES for block in extract_blocks(path)]


# --- the data files the docs name ---------------------------------------------------------------


def write_data_files(root: Path) -> None:
    """Small files at the paths the examples read."""
    import fastavro
    import pyarrow.csv as pacsv
    import pyarrow.feather as feather
    import pyarrow.parquet as pq
    from deltalake import write_deltalake

    trips = pa.table(
        {
            "vendor": ["acme", "bolt", "acme", "cab", "bolt", "acme"],
            "distance": [1.5, 4.0, 7.2, 3.5, 12.0, 0.8],
            "fare": [6.0, 14.5, 21.0, 12.0, 33.5, 4.5],
        }
    )
    pq.write_table(trips, root / "trips.parquet")
    data = root / "data"
    data.mkdir()
    pq.write_table(trips, data / "trips.parquet")
    pacsv.write_csv(
        pa.table({"zone_id": [1, 2, 3], "name": ["north", "south", "east"]}), data / "zones.csv"
    )
    events = [{"kind": "click", "user_id": 1}, {"kind": "view", "user_id": 2}]
    (data / "events.json").write_text("".join(json.dumps(e) + "\n" for e in events))
    users = {
        "type": "record",
        "name": "user",
        "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"}],
    }
    with open(data / "users.avro", "wb") as out:
        fastavro.writer(out, users, [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}])
    feather.write_feather(
        pa.table({"symbol": ["X", "Y"], "price": [10.5, 20.25]}),
        data / "ticks.arrow",
        compression="uncompressed",
    )
    for year, amounts in ((2024, [5, 7]), (2025, [11])):
        part = data / "sales" / f"year={year}"
        part.mkdir(parents=True)
        pq.write_table(pa.table({"amount": amounts}), part / "part-0.parquet")
    tpch = root / "tpch"
    tpch.mkdir()
    pq.write_table(
        pa.table({"l_returnflag": ["A", "N", "R", "N"], "l_quantity": [17.0, 36.0, 8.0, 28.0]}),
        tpch / "lineitem.parquet",
    )
    write_deltalake(
        str(root / "path" / "to" / "delta"),
        pa.table(
            {
                "kind": ["click", "view", "click"],
                "lat": [48.8566, 51.5072, 40.7128],
                "lng": [2.3522, -0.1276, -74.006],
            }
        ),
    )


@pytest.fixture(scope="module")
def data_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs-data")
    write_data_files(root)
    return root


# --- one run per file ---------------------------------------------------------------------------


@dataclass
class FileRun:
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str
    started: list[int] = field(default_factory=list)
    done: set[int] = field(default_factory=set)
    leftovers: list[int] = field(default_factory=list)

    def tail(self) -> str:
        return f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-6000:]}"


def processes_in(directory: Path) -> list[int]:
    """Ids of live processes whose working directory is ``directory`` (Linux only)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")) == directory:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


class DocsRuns:
    def __init__(self, template: Path, workspace: Path) -> None:
        self.template = template
        self.workspace = workspace
        self.runs: dict[Path, FileRun] = {}

    def get(self, path: Path, run_python: RunPython) -> FileRun:
        if path not in self.runs:
            self.runs[path] = self._run(path, run_python)
        return self.runs[path]

    def _run(self, path: Path, run_python: RunPython) -> FileRun:
        workdir = (self.workspace / path.stem).resolve()
        shutil.copytree(self.template, workdir)
        script = workdir / f"docs_{path.stem.replace('-', '_')}.py"
        text, codes = file_script(extract_blocks(path))
        script.write_text(text)
        script.with_suffix(".json").write_text(codes)
        code = f"""
            import os, runpy, sys
            os.chdir({str(workdir)!r})
            sys.argv = [{str(script)!r}]
            runpy.run_path({str(script)!r}, run_name="__main__")
        """
        # Run from the repository root's view of imports, as the docs say for `benchmarks`.
        env = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        }
        try:
            proc = run_python(code, timeout=FILE_TIMEOUT, env=env)
            run = FileRun(proc.returncode, proc.stdout, proc.stderr)
        except subprocess.TimeoutExpired as exc:
            out, err = exc.stdout or "", exc.stderr or ""
            run = FileRun(
                None,
                out.decode() if isinstance(out, bytes) else out,
                err.decode() if isinstance(err, bytes) else err,
            )
        for line in run.stderr.splitlines():
            tag, _, index = line.partition(" ")
            if tag == START:
                run.started.append(int(index))
            elif tag == DONE:
                run.done.add(int(index))
        if sys.platform == "linux":
            run.leftovers = processes_in(workdir)
            for pid in run.leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return run


@pytest.fixture(scope="module")
def docs_runs(data_template: Path, tmp_path_factory: pytest.TempPathFactory) -> DocsRuns:
    return DocsRuns(data_template, tmp_path_factory.mktemp("docs-runs"))


# --- the tests ----------------------------------------------------------------------------------


# Blocks marked as needing a server are not run (and not collected as tests):
# test_blocks_are_found_and_most_run counts them.
RUNNABLE = [b for b in BLOCKS if not b.needs_server]
RUN_FILES = [p for p in DOC_FILES if any(b.path == p for b in RUNNABLE)]


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.name for b in RUNNABLE])
def test_block_runs(block: Block, docs_runs: DocsRuns, run_python: RunPython) -> None:
    run = docs_runs.get(block.path, run_python)
    if block.index in run.done:
        return
    if run.started and run.started[-1] == block.index:
        how = "timed out" if run.returncode is None else f"exit {run.returncode}"
        pytest.fail(f"{block.name} (line {block.line}) failed, {how}:\n{run.tail()}")
    if -1 not in run.started:
        pytest.fail(f"the script of {block.path.name} never started:\n{run.tail()}")
    failed = run.started[-1] if run.started else None
    pytest.fail(f"{block.name} not reached: block {failed} of {block.path.name} failed")


@pytest.mark.parametrize("path", RUN_FILES, ids=[str(p.relative_to(ROOT)) for p in RUN_FILES])
def test_file_runs_cleanly(path: Path, docs_runs: DocsRuns, run_python: RunPython) -> None:
    """The whole script exits 0 (no crash at shutdown) and leaves no process running."""
    run = docs_runs.get(path, run_python)
    if run.returncode != 0:
        how = "timed out" if run.returncode is None else f"exit {run.returncode}"
        pytest.fail(f"{path.name}: {how}\n{run.tail()}")
    assert run.leftovers == [], f"processes left running (killed): {run.leftovers}"


def test_blocks_are_found_and_most_run() -> None:
    """A broken extractor must not pass by running nothing."""
    runnable = [b for b in BLOCKS if not b.needs_server]
    marked = [b.name for b in BLOCKS if b.needs_server]
    assert len(BLOCKS) >= 45
    assert len(runnable) >= 38, marked
    assert len(marked) <= 7, marked
    assert sum(b.is_doctest for b in runnable) >= 1
    assert sum(bool(literal_comment_checks(b.source)) for b in runnable) >= 5


def test_extractor_reads_markers_doctests_and_literal_comments(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n"
        "```python\nx = 1\nx + 1   # 2\nx  # the answer\n```\n"
        "<!-- docs-test: needs-server (an S3 bucket) -->\n"
        "```python\nread('s3://b/k')\n```\n"
        "```sh\nls\n```\n"
        "```python\n>>> 1 + 1\n2\n```\n"
    )
    first, remote, doc = extract_blocks(page)
    assert (first.line, first.needs_server, first.is_doctest) == (3, False, False)
    assert literal_comment_checks(first.source) == {2: ("x + 1", "2")}
    assert remote.needs_server and remote.source == "read('s3://b/k')\n"
    assert doc.is_doctest and doc.index == 2
    assert "_docs_expect((x + 1), 2," in block_code(first).splitlines()[3]
