"""The local stack as the end-to-end and browser tiers use it: started once per test session on free
ports (`python -m local` in the SAM CLI tools venv, exactly what `make run` starts), stopped after."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx

from local.template import ROOT

TOOLS_PYTHON = ROOT / ".venv-tools" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalStackProcess:
    def __init__(self, seed: bool = True, template: Path | None = None):
        self.port = free_port()
        self.aws_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.aws_url = f"http://127.0.0.1:{self.aws_port}"
        self.seed = seed
        self.template = template
        self.proc: subprocess.Popen[str] | None = None
        self.log_path = ROOT / ".local" / f"e2e-stack-{self.port}.log"
        self.info: dict[str, Any] = {}

    def start(self, timeout: float = 240) -> LocalStackProcess:
        self.log_path.parent.mkdir(exist_ok=True)
        log = self.log_path.open("w")
        args = [str(TOOLS_PYTHON), "-m", "local", "--port", str(self.port), "--aws-port", str(self.aws_port), "--quiet"]
        if not self.seed:
            args.append("--no-seed")
        if self.template is not None:
            args += ["--template", str(self.template)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            if line.startswith("READY"):
                break
            if time.monotonic() > deadline:
                break
        else:
            raise RuntimeError(f"local stack exited early; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
        with urllib.request.urlopen(f"{self.url}/_local/stack.json", timeout=10) as resp:  # noqa: S310
            self.info = json.load(resp)
        return self

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, follow_redirects=False, **kwargs)

    def aws(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.aws_url,
            region_name=self.info.get("region", "us-east-1"),
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def crm_log(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/_local/crm-log.json", timeout=30).json()

    def wait_for_event(self, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.crm_log():
                if predicate(entry["event"]):
                    return entry["event"]
            time.sleep(0.3)
        raise AssertionError("no matching CRM event arrived")

    def mailbox(self) -> list[dict[str, Any]]:
        """Every email sent so far. moto's data dump can fail while a send is being recorded (the
        stream's mailers send while tests read): such an answer is asked for again."""
        for _ in range(10):
            answer = httpx.get(f"{self.url}/_local/mailbox.json", timeout=30)
            if answer.status_code == 200 and isinstance(messages := answer.json(), list):
                return messages
            time.sleep(0.3)
        raise AssertionError(f"the mailbox did not answer: {answer.status_code} {answer.text[:300]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    @property
    def log(self) -> Path:
        return self.log_path
