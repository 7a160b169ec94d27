"""The embedded AWS for benchmarks: a moto server with the template's resources."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from local.provision import Provisioner
from local.template import ROOT, Stack


class EmbeddedAws:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[str] | None = None
        self.stack = Stack.from_file()

    def __enter__(self) -> EmbeddedAws:
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "local.embedded_aws", "--port", str(self.port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        if not self.proc.stdout.readline().startswith("ready"):
            raise RuntimeError("the embedded AWS did not start")
        self._saved = {k: os.environ.get(k) for k in self.credentials()}
        os.environ.update(self.credentials())
        Provisioner(self.stack, self.url).create_all()
        return self

    def credentials(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": self.stack.region,
            "AWS_DEFAULT_REGION": self.stack.region,
        }

    def __exit__(self, *_: Any) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
