"""The extractor behind "every ```python block of README.md and docs/*.md runs as written".

The blocks run while the docs site is built (``make docs``; the runner is tools/docs_blocks.py, the
hook tools/docs_site.py), and python/tests/test_docs_site.py builds the site and turns each block's
outcome into a test of its own (``test_docs_example[docs/user-guide.md:3]``), so ``make test`` runs
each example once. This file checks what the build cannot: that the extractor finds the blocks, the
``<!-- docs-test: needs-server -->`` markers, the doctests and the literal-comment checks.
"""

from __future__ import annotations

from pathlib import Path

from tools.docs_blocks import (
    all_blocks,
    block_code,
    extract_blocks,
    literal_comment_checks,
    run_file,
)


def test_blocks_are_found_and_most_run() -> None:
    """A broken extractor must not pass by running nothing."""
    blocks = all_blocks()
    runnable = [b for b in blocks if not b.needs_server]
    marked = [b.name for b in blocks if b.needs_server]
    assert len(blocks) >= 45
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


def test_runner_reports_the_failing_block_and_those_not_reached(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 41\n```\n```python\nx + 1  # 43\n```\n```python\nprint('never')\n```\n"
    )
    template = tmp_path / "data"
    template.mkdir()
    run = run_file(page, template, tmp_path / "runs")
    ok, wrong, after = extract_blocks(page)
    assert run.block_failure(ok) is None
    failure = run.block_failure(wrong)
    assert failure is not None and "page.md:1 (line 5) failed, exit 1" in failure
    assert "got 42, the docs say 43" in failure
    assert run.block_failure(after) == "page.md:2 not reached: block 1 of page.md failed"
    assert run.file_failure(page) is not None and run.file_failure(page).startswith(
        "page.md: exit 1"
    )
