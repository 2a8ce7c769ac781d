"""Distributed queries: the same ``SessionContext`` code, run across fuseplug worker processes.

fuseplug does not bring an engine of its own: it runs on `datafusion-distributed
<https://github.com/datafusion-contrib/datafusion-distributed>`_, which cuts a physical plan into
stages and streams Arrow between workers over Arrow Flight (gRPC). See ``docs/distributed.md``.

>>> import pyarrow as pa
>>> from fuseplug import SessionContext
>>> from fuseplug.distributed import Worker
>>> with Worker() as worker:                       # a worker in this process, on a free port
...     ctx = SessionContext().with_distributed(workers=[worker.url])
...     ctx.from_arrow(pa.table({"x": [1, 2, 3]}), name="t").count()
3

- :class:`Worker` serves tasks in this process; ``fuseplug worker --host H --port P`` is the same
  from the shell.
- :class:`LocalCluster` starts N worker processes on 127.0.0.1 and stops them on exit.
- ``SessionContext.with_distributed(workers=...)`` (or ``SessionConfig.with_distributed``) makes a
  coordinating context: every query it plans is distributed over the workers.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from fuseplug import _internal
from fuseplug.exceptions import WorkerError

if TYPE_CHECKING:
    from fuseplug.context import SessionContext

__all__ = ["LocalCluster", "Worker", "WorkerError", "ping", "DEFAULT_CONNECT_TIMEOUT"]

#: Seconds a worker may take to accept a connection before the query fails with :class:`WorkerError`.
DEFAULT_CONNECT_TIMEOUT = 5.0

#: The line a worker process prints once it listens; ``LocalCluster`` reads the URL from it.
READY_PREFIX = "fuseplug worker listening on "

Setup = Callable[["SessionContext"], "SessionContext | None"]


def load_setup(spec: str | Setup | None) -> Setup | None:
    """The setup function named by ``module:function`` (or given as a callable)."""
    if spec is None or callable(spec):
        return spec
    module_name, sep, attr = str(spec).partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--setup expects MODULE:FUNCTION, got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"setup module {module_name!r} cannot be imported: {exc}") from exc
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"setup module {module_name!r} has no {attr!r}") from None
    if not callable(target):
        raise ValueError(f"setup {spec!r} is not callable")
    return cast("Setup", target)


def worker_context(setup: str | Setup | None = None) -> SessionContext:
    """The template session a worker builds every task's session from: a fresh ``SessionContext``
    that ``setup`` prepared (registered functions, tables, object stores, codecs). ``setup`` may
    return another context (e.g. one made with ``with_physical_extension_codec``) to use instead."""
    from fuseplug.context import SessionContext

    ctx = SessionContext()
    function = load_setup(setup)
    if function is not None:
        returned = function(ctx)
        if returned is not None:
            if not isinstance(returned, SessionContext):
                raise TypeError(
                    f"setup must return None or a fuseplug SessionContext, not {type(returned).__name__}"
                )
            ctx = returned
    return ctx


class Worker:
    """A distributed worker in this process: the engine's gRPC service on ``host:port``.

    ``setup`` is a function (or ``"module:function"``) that prepares the worker's session; every
    plan fragment this worker runs is decoded and executed in a session built from it, so plugin
    functions it registered are found by name. Python UDFs need no setup: they travel inline.

    ``port=0`` picks a free port (see :attr:`url`). ``start()`` serves in the background;
    ``serve()`` blocks until :meth:`stop` or Ctrl-C.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        setup: str | Setup | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port
        self.setup = setup
        self.connect_timeout = connect_timeout
        self._inner: _internal.Worker | None = None

    def start(self) -> Worker:
        """Bind and serve in the background; returns ``self``."""
        if self._inner is None or not self._inner.running:
            ctx = worker_context(self.setup)
            self._inner = _internal.Worker.start(
                ctx._inner, self.host, self.port, self.connect_timeout
            )
        return self

    def serve(self) -> None:
        """Serve until :meth:`stop` is called from another thread, or Ctrl-C."""
        self.start()
        assert self._inner is not None
        self._inner.serve()

    def stop(self) -> None:
        if self._inner is not None:
            self._inner.stop()

    @property
    def url(self) -> str:
        if self._inner is None:
            raise RuntimeError("the worker is not started")
        return self._inner.url

    @property
    def running(self) -> bool:
        return self._inner is not None and self._inner.running

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        if self._inner is None:
            return f"Worker(host={self.host!r}, port={self.port}, not started)"
        return repr(self._inner)


def ping(url: str, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> str:
    """The fuseplug version of the worker at ``url``; raises :class:`WorkerError` when it does not
    answer within ``timeout`` seconds."""
    return _internal.ping_worker(url, timeout)


class _Process:
    """One worker process of a :class:`LocalCluster`."""

    def __init__(self, proc: subprocess.Popen[str], url: str, log: list[str]) -> None:
        self.proc = proc
        self.url = url
        self.log = log


class LocalCluster:
    """N fuseplug worker processes on this machine, for a laptop or a test suite.

    ::

        with LocalCluster(workers=2) as cluster:
            ctx = SessionContext().with_distributed(workers=cluster)

    The workers listen on ``host`` (127.0.0.1 by default), each on a free port. ``start()`` returns
    once every worker answers a version request; :attr:`urls` are their addresses and
    :attr:`pids` their process ids. ``stop()`` (or leaving the ``with`` block) terminates them,
    and kills any that do not exit within ``stop_timeout`` seconds. ``setup`` is passed to every
    worker as ``--setup`` and so must be importable there (``"module:function"``).
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        setup: str | None = None,
        host: str = "127.0.0.1",
        startup_timeout: float = 60.0,
        stop_timeout: float = 10.0,
        env: dict[str, str] | None = None,
        python: str | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a LocalCluster needs at least one worker")
        if setup is not None and not isinstance(setup, str):
            raise TypeError("LocalCluster(setup=...) must be a 'module:function' string")
        self.n_workers = workers
        self.setup = setup
        self.host = host
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.env = env
        self.python = python or sys.executable
        self._workers: list[_Process | None] = []

    # lifecycle ------------------------------------------------------------------------------
    def start(self) -> LocalCluster:
        if self._workers:
            return self
        # launch all first, so the workers start up in parallel
        launched: list[tuple[subprocess.Popen[str], list[str]]] = []
        try:
            for _ in range(self.n_workers):
                launched.append(self._launch(0))
            self._workers = [self._ready(proc, log) for proc, log in launched]
        except BaseException:
            self._workers = []
            for proc, _ in launched:
                _terminate(proc, self.stop_timeout)
            raise
        return self

    def stop(self) -> None:
        """Stop every worker by its process id (SIGTERM, then SIGKILL after ``stop_timeout``)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            if worker is not None:
                _terminate(worker.proc, self.stop_timeout)

    def kill(self, index: int) -> None:
        """SIGKILL worker ``index`` (its URL stays in :attr:`urls`; see :meth:`restart`)."""
        worker = self._workers[index]
        if worker is not None and worker.proc.poll() is None:
            os.kill(worker.proc.pid, signal.SIGKILL)
            worker.proc.wait(timeout=self.stop_timeout)

    def restart(self, index: int) -> str:
        """Start worker ``index`` again on its old port (stopping it first if it still runs)."""
        worker = self._workers[index]
        if worker is None:
            raise IndexError(index)
        _terminate(worker.proc, self.stop_timeout)
        port = int(worker.url.rsplit(":", 1)[1])
        deadline = time.monotonic() + self.startup_timeout
        while True:
            proc, log = self._launch(port)
            try:
                self._workers[index] = self._ready(proc, log)
                return self._workers[index].url  # type: ignore[union-attr]
            except WorkerError:
                # the old socket may linger for a moment after a kill
                _terminate(proc, self.stop_timeout)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    # what users read ------------------------------------------------------------------------
    @property
    def urls(self) -> list[str]:
        return [w.url for w in self._workers if w is not None]

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w is not None]

    def logs(self, index: int) -> str:
        """What worker ``index`` wrote to its stdout and stderr so far."""
        worker = self._workers[index]
        return "".join(worker.log) if worker is not None else ""

    def __repr__(self) -> str:
        state = ", ".join(self.urls) if self._workers else "stopped"
        return f"LocalCluster(workers={self.n_workers}, {state})"

    # internals ------------------------------------------------------------------------------
    def _launch(self, port: int) -> tuple[subprocess.Popen[str], list[str]]:
        cmd = [self.python, "-m", "fuseplug", "worker", "--host", self.host, "--port", str(port)]
        if self.setup is not None:
            cmd += ["--setup", self.setup]
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        log: list[str] = []
        return proc, log

    def _ready(self, proc: subprocess.Popen[str], log: list[str]) -> _Process:
        """Wait for the ready line, then for an answer to a version request."""
        url_box: list[str] = []
        got_url = threading.Event()

        def pump() -> None:
            assert proc.stdout is not None
            with proc.stdout:  # closed at EOF: the process has exited
                for line in proc.stdout:
                    log.append(line)
                    if not url_box and line.startswith(READY_PREFIX):
                        url_box.append(line[len(READY_PREFIX) :].strip())
                        got_url.set()
            got_url.set()

        threading.Thread(target=pump, daemon=True, name=f"fuseplug-worker-{proc.pid}").start()
        deadline = time.monotonic() + self.startup_timeout
        if not got_url.wait(self.startup_timeout) or not url_box:
            _terminate(proc, self.stop_timeout)
            raise WorkerError(
                f"worker process {proc.pid} did not start within {self.startup_timeout:.0f} s "
                f"(exit code {proc.poll()}); its output:\n{''.join(log)}"
            )
        url = url_box[0]
        while True:
            try:
                ping(url, timeout=max(0.5, min(5.0, deadline - time.monotonic())))
                return _Process(proc, url, log)
            except WorkerError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    _terminate(proc, self.stop_timeout)
                    raise
                time.sleep(0.1)


def _terminate(proc: subprocess.Popen[str], timeout: float) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)


def run_worker(host: str, port: int, setup: str | None, out: Any = None) -> int:
    """``fuseplug worker``: serve until SIGTERM or Ctrl-C; prints the ready line once listening."""
    out = out or sys.stdout
    worker = Worker(host, port, setup=setup).start()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    print(f"{READY_PREFIX}{worker.url}", file=out, flush=True)
    try:
        worker.serve()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        worker.stop()
    return 0
