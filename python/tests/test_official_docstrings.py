"""The official ``datafusion`` wheel's docstring examples run on fuseplug with only the import
changed (``official_docstrings.py`` reads the wheel's sources as text and aliases ``datafusion`` to
``fuseplug``; the official package is never imported). The wheel is a pinned dev dependency, so a
missing wheel fails these tests instead of skipping them.

The second half checks, by value, the behaviours those examples first showed missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from conftest import child, run_python_code
from fuseplug import Expr, SessionConfig, SessionContext, col, udf
from fuseplug.exceptions import SerializationError

#: Official docstrings whose examples fail on fuseplug on purpose, with the reason.
EXPECTED_FAILURES: dict[str, str] = {
    # A wrong-typed argument raises TypeError here; the official wheel raises RuntimeError.
    "datafusion.extensions.PhysicalOptimizerRuleExportable": "TypeError for a non-rule argument",
    # A private helper of the official functions module; private names are not API.
    "datafusion.functions._check_distinct": "private helper, not API",
}

#: Floors that a broken extractor (or a wheel without docstrings) cannot reach.
MIN_DOCSTRINGS = 400
MIN_EXAMPLES = 2000

_RUN = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import official_docstrings
official_docstrings.main([])
"""


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    """``{name: {"attempted", "failed", "output"}}`` for every official docstring with examples,
    run in a child process (the examples change process-wide state such as the worker context)."""
    out = child(run_python_code, _RUN, timeout=170)
    assert Path(out["package"]).name == "datafusion"
    docstrings: dict[str, dict[str, Any]] = out["docstrings"]
    return docstrings


def test_official_docstring_examples_pass(results: dict[str, dict[str, Any]]) -> None:
    unexpected = {
        name: r["output"]
        for name, r in results.items()
        if r["failed"] and name not in EXPECTED_FAILURES
    }
    assert not unexpected, "\n".join(
        f"=== {name}\n{output}" for name, output in sorted(unexpected.items())
    )


def test_expected_failures_are_not_stale(results: dict[str, dict[str, Any]]) -> None:
    stale = [name for name in EXPECTED_FAILURES if not results.get(name, {}).get("failed")]
    assert not stale, f"listed as failing but passing (or gone): {stale}"


def test_enough_examples_ran(results: dict[str, dict[str, Any]]) -> None:
    assert len(results) >= MIN_DOCSTRINGS
    assert sum(r["attempted"] for r in results.values()) >= MIN_EXAMPLES
    # names are qualified, and the central classes' examples are there
    assert results["datafusion.context.SessionContext.udf"]["attempted"] >= 5
    assert results["datafusion.dataframe.DataFrame.fill_null"]["attempted"] >= 5


# the behaviours the examples asked for ----------------------------------------------------------


def test_session_config_takes_config_options_and_options() -> None:
    key = "datafusion.execution.batch_size"
    assert SessionConfig(config_options={key: "1024"}).get(key) == "1024"
    assert SessionConfig({key: "512"}).get(key) == "512"
    assert SessionConfig(options={key: "256"}).get(key) == "256"
    with pytest.raises(TypeError, match="not both"):
        SessionConfig(config_options={key: "1"}, options={key: "2"})


def test_session_codec_id_is_per_session() -> None:
    ctx = SessionContext()
    codec_id = ctx.__datafusion_codec_id__
    assert codec_id == f"session:{ctx.session_id()}"
    assert codec_id != SessionContext().__datafusion_codec_id__
    # contexts derived from one session are that session
    assert ctx.with_python_udf_inlining(enabled=False).__datafusion_codec_id__ == codec_id
    installed = SessionContext().with_logical_extension_codec(ctx)
    assert installed.logical_extension_codec_ids() == [codec_id]


def test_bare_session_codec_capsule_gets_a_new_anonymous_id_per_install() -> None:
    capsule = SessionContext().__datafusion_logical_extension_codec__()
    once = SessionContext().with_logical_extension_codec(capsule)
    twice = once.with_logical_extension_codec(capsule)
    ids = twice.logical_extension_codec_ids()
    assert len(ids) == 2 and ids[0] != ids[1]
    assert all(i.startswith("anon:") and len(i) == len("anon:") + 32 for i in ids)
    named = SessionContext().with_logical_extension_codec(capsule, codec_id="lib.Codec")
    assert named.logical_extension_codec_ids() == ["lib.Codec"]


def test_strict_decoder_says_it_refuses_to_deserialize() -> None:
    ctx = SessionContext()
    ident = udf(lambda a: a, [pa.int64()], pa.int64(), "immutable", name="ident")
    ctx.register_udf(ident)
    blob = ident(col("x")).to_bytes(ctx)
    strict = SessionContext().with_python_udf_inlining(enabled=False)
    with pytest.raises(SerializationError, match=r'Refusing to deserialize .*"ident"'):
        Expr.from_bytes(blob, strict)


def test_fill_null_with_empty_subset_fills_nothing() -> None:
    df = SessionContext().from_pydict({"a": [1, None], "b": [None, 2]})
    assert df.fill_null(0, subset=[]).to_pydict() == {"a": [1, None], "b": [None, 2]}
    assert df.fill_null(0, subset=["a"]).to_pydict() == {"a": [1, 0], "b": [None, 2]}


def test_physical_partitionings_compare_by_structure() -> None:
    ctx = SessionContext(SessionConfig().with_target_partitions(4))
    a = ctx.from_pydict({"a": [1, 2]}).execution_plan().output_partitioning
    b = ctx.from_pydict({"b": [3]}).execution_plan().output_partitioning
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    ctx.register_record_batches("t", [[pa.record_batch({"k": [1, 2, 3]})]])
    hashed = ctx.sql("select k, count(*) from t group by k").execution_plan().output_partitioning
    assert (hashed.scheme, hashed.partition_count, hashed.hash_expressions) == ("Hash", 4, ["k@0"])
    again = ctx.sql("select k, count(*) from t group by k").execution_plan().output_partitioning
    assert hashed == again and hash(hashed) == hash(again)
    assert hashed != a and a != "UnknownPartitioning(1)"
