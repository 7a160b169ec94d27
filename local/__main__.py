"""`make run`: the whole product on this machine, from template.yaml, in the foreground.

1. the embedded AWS (moto server) on 127.0.0.1:$AWS_PORT (default 5000), in the app's venv;
2. every data resource of the template created in it (local/provision.py);
3. every HttpApi route, authorizer and function URL on http://127.0.0.1:$PORT (default 3000), each
   function in its own worker processes (local/functions.py, local/gateway.py);
4. the template's event sources delivered (local/event_sources.py), the CRM's queue drained into
   the CRM log;
5. demo data seeded through the /crm/ routes (local/seed.py), logins and links printed.
Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from werkzeug.serving import make_server

from local.template import ROOT, TEMPLATE_PATH, Stack

LOG = logging.getLogger("local")
STATE = ROOT / ".local"
RUNTIME_REQUIREMENTS = ROOT / "local" / "lambda-runtime.txt"


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM if the stack process dies, whatever way it dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _install_target(requirements: Path, target: Path) -> None:
    """pip-install a requirements file into a folder, as `sam build` does for a layer (cached by hash).
    Several stacks may start at once (parallel tests): one installs under a lock, the others wait."""
    import fcntl

    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = target / ".requirements.sha256"
    if stamp.exists() and stamp.read_text() == digest:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == digest:
            return
        _install_into(requirements, target)
        stamp.write_text(digest)


def _install_into(requirements: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    uv = os.environ.get("UV") or shutil.which("uv")
    python = os.environ.get("APP_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    LOG.info("installing %s into %s", requirements.relative_to(ROOT), target.relative_to(ROOT))
    if uv:
        cmd = [uv, "pip", "install", "--quiet", "--python", python, "--target", str(target), "-r", str(requirements)]
    else:
        cmd = [python, "-m", "pip", "install", "--quiet", "--target", str(target), "-r", str(requirements)]
    subprocess.run(cmd, check=True)  # noqa: S603


def prepare_runtime(stack: Stack) -> list[Path]:
    """The packages Lambda provides (boto3) and each layer's requirements, as the Lambda runtime sees them."""
    _install_target(RUNTIME_REQUIREMENTS, STATE / "runtime")
    for logical_id, layer in stack.of_type("AWS::Serverless::LayerVersion").items():
        requirements = ROOT / layer["Properties"]["ContentUri"] / "requirements.txt"
        if requirements.exists():
            _install_target(requirements, STATE / "layers" / logical_id)
    return [STATE / "runtime"]


class LocalStack:
    def __init__(
        self,
        port: int,
        aws_port: int,
        seed: bool,
        max_concurrency: int,
        quiet: bool,
        template_path: Path = TEMPLATE_PATH,
    ):
        self.port = port
        self.aws_port = aws_port
        self.seed = seed
        self.max_concurrency = max_concurrency
        self.quiet = quiet
        self.gateway_url = f"http://127.0.0.1:{port}"
        self.aws_url = f"http://127.0.0.1:{aws_port}"
        self.app_python = os.environ.get("APP_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
        self.moto: subprocess.Popen[str] | None = None
        self.server: Any = None
        self.runner: Any = None
        self.sources: Any = None
        self.inbox: Any = None
        self.template_path = template_path
        self.stack = Stack.from_file(template_path)
        self.demo: dict[str, Any] = {"portals": [], "logins": [], "links": []}
        self._openapi: dict[str, Any] | None = None
        self.stoppers: list[Any] = []

    # ------------------------------------------------------------------------------------------
    def aws_env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.aws_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": self.stack.region,
            "AWS_DEFAULT_REGION": self.stack.region,
        }

    def client(self, service: str) -> Any:
        env = self.aws_env()
        return boto3.client(
            service,
            endpoint_url=self.aws_url,
            region_name=self.stack.region,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def start_aws(self) -> None:
        self.moto = subprocess.Popen(  # noqa: S603
            [self.app_python, "-m", "local.embedded_aws", "--port", str(self.aws_port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,
        )
        assert self.moto.stdout is not None
        line = self.moto.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit(f"the embedded AWS did not start on port {self.aws_port} (is the port taken?)")

    def start(self) -> None:
        from local.devpages import CrmInbox, create_dev_pages
        from local.event_sources import EventSources
        from local.functions import FunctionRunner, function_specs
        from local.gateway import build_app
        from local.portals import portal_modules
        from local.provision import Provisioner

        STATE.mkdir(exist_ok=True)
        portals = portal_modules()
        for module in portals:
            if hasattr(module, "parameters"):
                self.stack.parameter_overrides.update(module.parameters(self))
        runtime_dirs = prepare_runtime(self.stack)
        t0 = time.monotonic()
        self.start_aws()
        os.environ.update(self.aws_env())
        Provisioner(self.stack, self.aws_url, self.gateway_url).create_all()
        for module in portals:
            if hasattr(module, "start"):
                stopper = module.start(self)
                if stopper is not None:
                    self.stoppers.append(stopper)
        specs = function_specs(self.stack, runtime_dirs)
        log_sink = sys.stderr if not self.quiet else (STATE / "functions.log").open("a", encoding="utf-8")
        self.runner = FunctionRunner(specs, self.app_python, self.aws_env(), log_sink, self.max_concurrency)
        self.sources = EventSources(self.stack, specs, self.runner, self.client)
        consumed = {
            self.stack.resolve(e.get("Properties", {}).get("Queue"))
            for s in specs.values()
            for e in s.events.values()
            if e.get("Type") == "SQS"
        }
        dead_letters = {
            self.stack.resolve(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
            for q in self.stack.of_type("AWS::SQS::Queue").values()
            if (q.get("Properties") or {}).get("RedrivePolicy")
        }
        crm_queues = {
            lid: self.stack.refs[lid]
            for lid in self.stack.of_type("AWS::SQS::Queue")
            if self.stack.attrs[lid]["Arn"] not in consumed | dead_letters
        }
        (STATE / "crm-log.jsonl").write_text("")
        self.inbox = CrmInbox(self.client("sqs"), crm_queues, STATE / "crm-log.jsonl")
        dev_pages = create_dev_pages(
            aws_url=self.aws_url,
            gateway_url=self.gateway_url,
            stack_info=self.stack_info,
            inbox=self.inbox,
            openapi=self.openapi,
            demo=lambda: self.demo,
        )
        app, routes = build_app(specs, self.runner, self.port, self.stack.region, dev_pages, self.template_path)
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        described = self.sources.start()
        self.inbox.start()
        (STATE / "stack.json").write_text(json.dumps(self.stack_info(), indent=2))
        if self.seed:
            from local.seed import seed_demo_data

            self.demo = seed_demo_data(self)
        for line in routes + described:
            LOG.info("  %s", line)
        LOG.info("local stack ready in %.1fs", time.monotonic() - t0)

    def stack_info(self) -> dict[str, Any]:
        return {
            "gateway_url": self.gateway_url,
            "aws_url": self.aws_url,
            "region": self.stack.region,
            "refs": self.stack.refs,
            "attrs": self.stack.attrs,
            "outputs": {
                name: self.stack.resolve(out.get("Value"))
                for name, out in (self.stack.template.get("Outputs") or {}).items()
            },
        }

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            from local.openapi import merged_openapi

            self._openapi = merged_openapi(self.runner, self.gateway_url)
        return self._openapi

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
        if self.inbox is not None:
            self.inbox.stop.set()
        if self.sources is not None:
            self.sources.close()
        if self.runner is not None:
            self.runner.shutdown()
        for stopper in reversed(self.stoppers):
            try:
                stopper()
            except Exception:
                LOG.exception("a local service did not stop cleanly")
        if self.moto is not None and self.moto.poll() is None:
            self.moto.terminate()
            try:
                self.moto.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.moto.kill()


def banner(stack: LocalStack) -> str:
    lines = [
        "",
        "=" * 72,
        f" CRM portals, local stack:   {stack.gateway_url}/",
        f" Embedded AWS (moto):        {stack.aws_url}",
        f" Mailbox / CRM log / console: {stack.gateway_url}/_local/mailbox · /_local/crm-log · /_local/console",
    ]
    for login in stack.demo.get("logins", []):
        lines.append(f" {login['portal']:<12} login: {login['email']}  /  {login['password']}  {login.get('note', '')}")
    for link in stack.demo.get("links", []):
        lines.append(f" {link['title']}: {link['url']}")
    lines += [" Ctrl-C stops everything.", "=" * 72, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("AWS_PORT", "5000")))
    parser.add_argument("--no-seed", action="store_true", help="start without demo data")
    parser.add_argument("--max-concurrency", type=int, default=int(os.environ.get("LOCAL_MAX_CONCURRENCY", "4")))
    parser.add_argument("--quiet", action="store_true", help="function logs to .local/functions.log")
    parser.add_argument(
        "--template", type=Path, default=TEMPLATE_PATH, help="the SAM template (default: template.yaml)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("samcli").setLevel(logging.ERROR)
    logging.getLogger("botocore").setLevel(logging.WARNING)

    stack = LocalStack(
        args.port, args.aws_port, not args.no_seed, args.max_concurrency, args.quiet, args.template.resolve()
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    try:
        stack.start()
        sys.stdout.write(banner(stack) + "\n")
        sys.stdout.write(f"READY {stack.gateway_url}\n")
        sys.stdout.flush()
        done.wait()
    finally:
        LOG.info("stopping the local stack")
        stack.stop()


if __name__ == "__main__":
    main()
