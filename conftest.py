"""Repository-wide pytest configuration (shared fixtures live in python/tests/conftest.py)."""


def pytest_report_header() -> list[str]:
    try:
        import fuseplug
    except ImportError as exc:  # not built yet: let the tests report it
        return [f"fuseplug: not importable ({exc})"]
    version = getattr(fuseplug, "__version__", None)
    engine = getattr(fuseplug, "DATAFUSION_VERSION", None)
    if version is None and engine is None:
        return []
    return [f"fuseplug {version or '?'} on DataFusion crates {engine or '?'}"]
