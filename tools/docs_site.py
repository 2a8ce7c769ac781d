"""MkDocs hooks of the docs site (mkdocs.yml, built by ``make docs``; docs/development.md, "Docs site").

- The README becomes the page ``readme.md`` (its links into ``docs/`` lose that prefix).
- Every ```python block of README.md and docs/*.md runs while the site is built (tools/docs_blocks.py),
  beside the rendering: the build fails when a block fails. The outcome of each block is written to
  ``<site_dir>-examples.json`` (``build/site-examples.json``), which python/tests/test_docs_site.py
  reads.

The API pages' docstrings are turned into Markdown by the griffe extension in tools/docs_griffe.py.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools import docs_blocks  # noqa: E402  (after the path entry it needs)

README_PAGE = "readme.md"


def readme_for_site(text: str) -> str:
    """The README as a page beside docs/*.md: its links into ``docs/`` lose that prefix."""
    return re.sub(r"\]\(docs/", "](", text)


class ExampleRuns:
    """The docs' examples, run in a thread beside the rendering (each file in its own process)."""

    def __init__(self) -> None:
        self.workspace = Path(tempfile.mkdtemp(prefix="fuseplug-docs-examples-"))
        self.result: dict[Path, docs_blocks.FileRun] | None = None
        self.error: BaseException | None = None
        self.began = time.monotonic()
        self.thread = threading.Thread(target=self._run, name="docs-examples", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = docs_blocks.run_pages(docs_blocks.DOC_FILES, self.workspace)
        except BaseException as exc:  # reported by finish(), on the build's thread
            self.error = exc

    def finish(self, report_path: Path) -> None:
        self.thread.join()
        shutil.rmtree(self.workspace, ignore_errors=True)
        if self.error is not None:
            raise PluginError(f"running the docs' examples failed: {self.error!r}")
        assert self.result is not None
        report = docs_blocks.report(self.result)
        report["seconds"] = round(time.monotonic() - self.began, 2)
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=1))
        failures = []
        for path, run in self.result.items():
            blocks = [b for b in docs_blocks.extract_blocks(path) if not b.needs_server]
            failed = [msg for msg in map(run.block_failure, blocks) if msg]
            # a clean file's exit status or leftover processes count only when every block passed
            failures += failed or list(filter(None, [run.file_failure(path)]))
        if failures:
            raise PluginError(
                f"{len(failures)} failure(s) in the docs' examples (report: {report_path}):\n\n"
                + "\n\n".join(failures)
            )


_runs: ExampleRuns | None = None


def report_path(config: Any) -> Path:
    site = Path(config["site_dir"])
    return site.with_name(site.name + "-examples.json")


def on_pre_build(config: Any) -> None:
    global _runs
    _runs = ExampleRuns()


def on_files(files: Files, config: Any) -> Files:
    readme = readme_for_site((ROOT / "README.md").read_text())
    files.append(File.generated(config, README_PAGE, content=readme))
    return files


def on_post_build(config: Any) -> None:
    global _runs
    runs, _runs = _runs, None
    if runs is not None:
        runs.finish(report_path(config))


def on_build_error(error: Exception) -> None:
    global _runs
    runs, _runs = _runs, None
    if runs is not None:  # let the examples end, and remove their files
        runs.thread.join()
        shutil.rmtree(runs.workspace, ignore_errors=True)
