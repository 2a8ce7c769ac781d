"""The answer comparison lives in the TPC-H kit (``benchmarks/tpch/answers.py``), shared with the
TPC-H benchmark; the suites import it from here."""

from benchmarks.tpch.answers import assert_same_answer, difference, rows, same_value

__all__ = ["assert_same_answer", "difference", "rows", "same_value"]
