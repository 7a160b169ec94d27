"""Run the template's functions the way Lambda runs them, without Docker.

Each function gets execution environments on demand: long-lived worker processes
(local/lambda_bootstrap.py) with only the function's CodeUri, its layers and the runtime packages on
the import path, and only its template environment (resolved against the local stack) plus the
variables Lambda itself sets. One request at a time per environment; a function gets more
environments under concurrent load, up to ``max_concurrency``. A worker that outlives its timeout is
killed, as Lambda ends a timed-out invocation.

``FunctionRunner`` is also the ``lambda_runner`` SAM CLI's LocalApigwService calls (``invoke`` and
``is_debugging``), which is how the API emulation of SAM CLI is reused.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from local.template import ROOT, Stack, UnresolvedReference

LOG = logging.getLogger("local.functions")
BOOTSTRAP = Path(__file__).resolve().parent / "lambda_bootstrap.py"


def _die_with_parent() -> None:
    """preexec_fn: the worker gets SIGKILL when the process that started it dies, however it dies."""
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class FunctionNotFoundError(LookupError):
    pass


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    handler: str
    code_dir: Path
    layer_dirs: list[Path]
    timeout: int
    memory: int
    environment: dict[str, str]
    events: dict[str, Any] = field(default_factory=dict)
    function_url: dict[str, Any] | None = None


def _as_env_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def function_specs(stack: Stack, runtime_dirs: list[Path]) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function of the template, resolved against the stack's physical values."""
    specs = {}
    layers = stack.of_type("AWS::Serverless::LayerVersion")
    for logical_id, resource in stack.of_type("AWS::Serverless::Function").items():
        props = resource.get("Properties") or {}
        layer_dirs: list[Path] = []
        for layer in stack.function_property(logical_id, "Layers", []) or []:
            layer_id = layer.get("Ref") if isinstance(layer, dict) else None
            if layer_id in layers:
                layer_dirs.append(ROOT / layers[layer_id]["Properties"]["ContentUri"])
                layer_dirs.append(ROOT / ".local" / "layers" / layer_id)
        try:
            env = stack.resolve(stack.function_environment(logical_id))
        except UnresolvedReference as exc:
            raise SystemExit(
                f"{logical_id}: its environment refers to {exc}, which template.yaml does not declare"
            ) from None
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=stack.physical_name(logical_id),
            handler=props["Handler"],
            code_dir=ROOT / props["CodeUri"],
            layer_dirs=layer_dirs + runtime_dirs,
            timeout=int(stack.function_property(logical_id, "Timeout", 3)),
            memory=int(stack.function_property(logical_id, "MemorySize", 128)),
            environment={k: _as_env_value(v) for k, v in env.items()},
            events=props.get("Events") or {},
            function_url=props.get("FunctionUrlConfig"),
        )
    return specs


class InvocationError(RuntimeError):
    def __init__(self, payload: dict[str, Any]):
        super().__init__(payload.get("errorMessage", "function error"))
        self.payload = payload


class _Worker:
    """One execution environment: a process that imports the handler once and serves invokes."""

    def __init__(self, spec: FunctionSpec, python: str, base_env: dict[str, str], log_sink: IO[str]):
        self.spec = spec
        read_fd, write_fd = os.pipe()
        env = {
            "LOCAL_REPLY_FD": str(write_fd),
            **base_env,
            **spec.environment,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "LOCAL_LAMBDA_PATHS": os.pathsep.join(str(p) for p in [spec.code_dir, *spec.layer_dirs]),
        }
        self.started = self.last_used = time.monotonic()
        self.proc = subprocess.Popen(  # noqa: S603 - fixed interpreter and bootstrap
            [python, "-I", "-S", "-X", "frozen_modules=on", str(BOOTSTRAP)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            env=env,
            cwd=spec.code_dir,
            text=True,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        os.close(write_fd)
        self._replies = os.fdopen(read_fd, "r")
        threading.Thread(target=self._pump_logs, args=(log_sink,), daemon=True).start()
        hello = self._read_reply(timeout=spec.timeout + 30)
        self.init_error = hello.get("error")

    def _pump_logs(self, sink: IO[str]) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            sink.write(f"[{self.spec.logical_id}] {line}")
            sink.flush()

    def _read_reply(self, timeout: float) -> dict[str, Any]:
        result: dict[str, Any] = {}

        def read() -> None:
            line = self._replies.readline()
            if line:
                result.update(json.loads(line))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive() or not result:
            self.kill()
            if reader.is_alive():
                raise InvocationError(
                    {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout:.2f} seconds"}
                )
            raise InvocationError({"errorType": "Runtime.ExitError", "errorMessage": "worker exited"})
        return result

    def invoke(self, event: Any) -> Any:
        assert self.proc.stdin is not None
        deadline_ms = int((time.time() + self.spec.timeout) * 1000)
        request = {"event": event, "deadline_ms": deadline_ms, "request_id": str(uuid.uuid4())}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = self._read_reply(timeout=self.spec.timeout)
        if reply.get("error"):
            raise InvocationError(reply["error"])
        return reply.get("result")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=5)


class _Pool:
    def __init__(self, spec: FunctionSpec, runner: FunctionRunner):
        self.spec = spec
        self.runner = runner
        self.idle: list[_Worker] = []
        self.count = 0
        self.cond = threading.Condition()

    def acquire(self) -> _Worker:
        with self.cond:
            while True:
                while self.idle:
                    worker = self.idle.pop()
                    if worker.alive:
                        return worker
                    self.count -= 1
                if self.count < self.runner.max_concurrency:
                    self.count += 1
                    break
                self.cond.wait()
        try:
            return self.runner.spawn(self.spec)
        except BaseException:
            with self.cond:
                self.count -= 1
                self.cond.notify()
            raise

    def release(self, worker: _Worker) -> None:
        with self.cond:
            worker.last_used = time.monotonic()
            if worker.alive:
                self.idle.append(worker)
            else:
                self.count -= 1
            self.cond.notify()

    def reap(self, idle_seconds: float) -> None:
        """Recycle environments idle for long, as Lambda does (keeps memory bounded locally)."""
        now = time.monotonic()
        with self.cond:
            keep = []
            for worker in self.idle:
                if now - worker.last_used > idle_seconds or not worker.alive:
                    worker.kill()
                    self.count -= 1
                else:
                    keep.append(worker)
            self.idle = keep

    def shutdown(self) -> None:
        with self.cond:
            for worker in self.idle:
                worker.kill()
            self.idle.clear()


class FunctionRunner:
    """Invokes functions by logical id; the ``lambda_runner`` for SAM CLI's API emulation."""

    def __init__(
        self,
        specs: dict[str, FunctionSpec],
        python: str,
        aws_env: dict[str, str],
        log_sink: IO[str],
        max_concurrency: int = 4,
        idle_seconds: float = 300,
    ):
        self.specs = specs
        self.python = python
        self.max_concurrency = max_concurrency
        self.log_sink = log_sink
        self.base_env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "AWS_SAM_LOCAL": "true",
            **aws_env,
        }
        self._pools = {lid: _Pool(spec, self) for lid, spec in specs.items()}
        self.invocations: dict[str, int] = dict.fromkeys(specs, 0)
        self.idle_seconds = idle_seconds
        self._stopped = threading.Event()
        # PR_SET_PDEATHSIG fires when the *thread* that started a worker ends, and each HTTP request
        # runs in its own thread: workers are started from these long-lived threads instead, so a
        # warm worker outlives the request that started it (and still dies with the stack).
        self._spawner = ThreadPoolExecutor(max_workers=8, thread_name_prefix="worker-spawner")
        threading.Thread(target=self._reaper, name="worker-reaper", daemon=True).start()

    def _reaper(self) -> None:
        while not self._stopped.wait(15):
            for pool in self._pools.values():
                pool.reap(self.idle_seconds)

    def spawn(self, spec: FunctionSpec) -> _Worker:
        return self._spawner.submit(_Worker, spec, self.python, self.base_env, self.log_sink).result()

    def call(self, logical_id: str, event: Any) -> Any:
        """Invoke synchronously; raises InvocationError on a function error, as Lambda reports it."""
        pool = self._pools.get(logical_id)
        if pool is None:
            raise FunctionNotFoundError(logical_id)
        worker = pool.acquire()
        try:
            if worker.init_error:
                worker.kill()
                raise InvocationError(worker.init_error)
            self.invocations[logical_id] += 1
            return worker.invoke(event)
        finally:
            pool.release(worker)

    # -- the interface SAM CLI's LocalApigwService expects --------------------------------------
    def is_debugging(self) -> bool:
        return False

    def invoke(self, function_identifier: str, event: str, stdout: Any = None, stderr: Any = None, **_: Any) -> None:
        from samcli.local.lambdafn.exceptions import FunctionNotFound

        if function_identifier not in self._pools:
            raise FunctionNotFound(f"Unable to find a function with name '{function_identifier}'")
        try:
            result = self.call(function_identifier, json.loads(event))
        except InvocationError as exc:
            LOG.error("%s failed: %s", function_identifier, exc.payload.get("errorMessage"))
            result = {k: v for k, v in exc.payload.items() if k in ("errorType", "errorMessage")}
        if stdout is not None:
            stdout.write_str(json.dumps(result))

    def shutdown(self) -> None:
        self._stopped.set()
        for pool in self._pools.values():
            pool.shutdown()
        self._spawner.shutdown(wait=False)
