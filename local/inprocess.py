"""Run a function's handler in-process the way Lambda would: its template environment (resolved
against a moto-backed stack), its CodeUri on the import path, fresh module state.

Used by the integration tests (tests/integration) and the warm-path benchmarks (bench/)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from local.functions import function_specs
from local.template import ROOT, Stack

EVENTS = ROOT / "events"


def sample_event(relative: str, **overrides: Any) -> dict[str, Any]:
    """An event from events/ (SAM's sample-event convention), with top-level overrides."""
    event = json.loads((EVENTS / relative).read_text())
    event.update(overrides)
    return event


def module_file(module: Any) -> str:
    """A loaded module's file ("" when it has none). Jinja2's ModuleLoader registers its templates'
    package in sys.modules as a weak proxy, which raises ReferenceError once its loader is gone."""
    try:
        return getattr(module, "__file__", None) or ""
    except ReferenceError:
        return ""


def _forget_function_modules() -> None:
    functions_dir = str(ROOT / "functions")
    for name, module in list(sys.modules.items()):
        if module_file(module).startswith(functions_dir):
            del sys.modules[name]


def reset_common_state() -> None:
    """Process-wide caches of the layer (settings, clients, templates, secrets)."""
    from portal_common import aws, images, secret_values
    from portal_common.settings import load_settings
    from portal_common.web import pages

    load_settings.cache_clear()
    aws.reset()
    images.forget_view_urls()
    # a function's own template folder is registered when its modules are imported (forgotten above);
    # the layer's modules stay imported, and so do the folders they registered
    functions_dir = ROOT / "functions"
    pages._template_dirs[:] = [d for d in pages._template_dirs if not d.is_relative_to(functions_dir)]
    pages.environment.cache_clear()
    secret_values.clear_cache()


class LambdaHarness:
    def __init__(self, stack: Stack, monkeypatch: Any):
        """``monkeypatch``: pytest's fixture, or local.inprocess.EnvPatch outside pytest."""
        self.stack = stack
        self.monkeypatch = monkeypatch
        self.specs = function_specs(stack, [])

    def load(self, logical_id: str) -> ModuleType:
        """Import the function's handler module with only its own environment (plus credentials)."""
        spec = self.specs[logical_id]
        for key, value in spec.environment.items():
            self.monkeypatch.setenv(key, value)
        self.monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", spec.name)
        self.monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        self.monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        _forget_function_modules()
        reset_common_state()
        self.monkeypatch.syspath_prepend(str(spec.code_dir))
        module = importlib.import_module(spec.handler.rsplit(".", 1)[0])
        return module

    def handler(self, logical_id: str) -> Any:
        """The function's handler, loaded once (warm: later calls reuse its clients and caches)."""
        module = self.load(logical_id)
        func = getattr(module, self.specs[logical_id].handler.rsplit(".", 1)[1])
        context = FakeContext(self.specs[logical_id].name)
        return lambda event: func(event, context)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """A cold invoke: fresh module state, then one event."""
        return self.handler(logical_id)(event)


class FakeContext:
    """The Lambda context object's attributes that our code and Powertools read."""

    def __init__(self, name: str):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = "test-request"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def root_path(*parts: str) -> Path:
    return ROOT.joinpath(*parts)


class EnvPatch:
    """The two monkeypatch operations LambdaHarness needs, for use outside pytest (benchmarks)."""

    def __init__(self) -> None:
        import os

        self._saved_env = dict(os.environ)
        self._saved_path = list(sys.path)

    def setenv(self, key: str, value: str) -> None:
        import os

        os.environ[key] = value

    def syspath_prepend(self, path: str) -> None:
        if path not in sys.path:
            sys.path.insert(0, path)
        importlib.invalidate_caches()

    def undo(self) -> None:
        import os

        os.environ.clear()
        os.environ.update(self._saved_env)
        sys.path[:] = self._saved_path
