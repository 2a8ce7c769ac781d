"""Runs every ```python block of README.md and docs/*.md as written: they are examples users paste.

The docs site build (``make docs``: the hook in tools/docs_site.py) runs them through
:func:`run_pages` and fails on any failing block; python/tests/test_docs_site.py reports each block's
outcome as a test of its own, and python/tests/test_docs_blocks.py tests the extractor.

How a file's blocks run: in order, as one script, in one fresh interpreter, in a temporary working
directory holding the small data files the docs name (``trips.parquet``, ``data/...``,
``tpch/lineitem.parquet``, a Delta table at ``path/to/delta``). That is how a reader pastes a page:
the user guide's blocks build on one ``ctx``, the plugin page's on ``ex`` and its tables. Each block
is compiled under its Markdown file's path and line numbers, so a traceback points into the page.
The script runs as ``__main__`` from a file, so a block that starts ``multiprocessing`` "spawn"
workers behaves as it does in a reader's script.

A block right after the line ``<!-- docs-test: needs-server -->`` (S3, machines of a cluster, a
server that runs until stopped) is skipped, and counted. A block written as a doctest (``>>>``) is
run by ``doctest`` and must print what it shows. A one-line expression followed by a comment that is
a Python literal (``df.to_pydict()  # {'two': [2]}``) must evaluate to that literal.

A block after a failing one fails as "not reached". Processes a block leaves running in the working
directory (a ``LocalCluster``'s workers, say) fail their file and are killed.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
            raise ValueError(f"{path}:{i + 1}: a ```python fence is never closed")
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


def all_blocks() -> list[Block]:
    return [block for path in DOC_FILES for block in extract_blocks(path)]


# --- the data files the docs name ---------------------------------------------------------------


def write_data_files(root: Path) -> None:
    """Small files at the paths the examples read."""
    import fastavro
    import pyarrow as pa
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


# --- one run per file ---------------------------------------------------------------------------


@dataclass
class FileRun:
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str
    started: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    leftovers: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def tail(self) -> str:
        return f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-6000:]}"

    def block_failure(self, block: Block) -> str | None:
        """Why ``block`` did not run to its end in this run, or None when it did."""
        if block.index in self.done:
            return None
        if self.started and self.started[-1] == block.index:
            how = "timed out" if self.returncode is None else f"exit {self.returncode}"
            return f"{block.name} (line {block.line}) failed, {how}:\n{self.tail()}"
        if -1 not in self.started:
            return f"the script of {block.path.name} never started:\n{self.tail()}"
        failed = self.started[-1] if self.started else None
        return f"{block.name} not reached: block {failed} of {block.path.name} failed"

    def file_failure(self, path: Path) -> str | None:
        """Why the whole script was not clean (crash at shutdown, processes left), or None."""
        if self.returncode != 0:
            how = "timed out" if self.returncode is None else f"exit {self.returncode}"
            return f"{path.name}: {how}\n{self.tail()}"
        if self.leftovers:
            return f"{path.name}: processes left running (killed): {self.leftovers}"
        return None


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


def _text(out: str | bytes | None) -> str:
    return out.decode(errors="replace") if isinstance(out, bytes) else (out or "")


def run_file(path: Path, template: Path, workspace: Path, timeout: float = FILE_TIMEOUT) -> FileRun:
    """Runs the blocks of ``path`` in a fresh interpreter, in a copy of ``template`` (the data)."""
    import time

    workdir = (workspace / path.stem).resolve()
    shutil.copytree(template, workdir)
    script = workdir / f"docs_{path.stem.replace('-', '_')}.py"
    text, codes = file_script(extract_blocks(path))
    script.write_text(text)
    script.with_suffix(".json").write_text(codes)
    env = dict(os.environ)
    env.setdefault("PYTHONFAULTHANDLER", "1")
    # Run from the repository root's view of imports, as the docs say for `benchmarks`.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    began = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, str(script)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        run = FileRun(proc.returncode, proc.stdout, proc.stderr)
    except subprocess.TimeoutExpired as exc:
        run = FileRun(None, _text(exc.stdout), _text(exc.stderr))
    run.seconds = round(time.monotonic() - began, 2)
    for line in run.stderr.splitlines():
        tag, _, index = line.partition(" ")
        if tag == START:
            run.started.append(int(index))
        elif tag == DONE:
            run.done.append(int(index))
    if sys.platform == "linux":
        run.leftovers = processes_in(workdir)
        for pid in run.leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return run


def run_pages(paths: list[Path], workspace: Path, jobs: int = 2) -> dict[Path, FileRun]:
    """Runs the blocks of every file of ``paths`` that has runnable ones, ``jobs`` files at a time,
    each in its own copy of the data files (written once, under ``workspace``)."""
    runnable = [p for p in paths if any(not b.needs_server for b in extract_blocks(p))]
    template = workspace / "data-template"
    template.mkdir(parents=True)
    write_data_files(template)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = pool.map(lambda p: run_file(p, template, workspace), runnable)
        return dict(zip(runnable, runs, strict=True))


def report(runs: dict[Path, FileRun]) -> dict[str, object]:
    """The outcome of every block and file, as JSON-ready data (what test_docs_site.py reads)."""
    blocks: dict[str, str | None] = {}
    files: dict[str, object] = {}
    for path, run in runs.items():
        for block in extract_blocks(path):
            if not block.needs_server:
                blocks[block.name] = run.block_failure(block)
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
        files[name] = {"failure": run.file_failure(path), **asdict(run)}
    return {"blocks": blocks, "files": files}
