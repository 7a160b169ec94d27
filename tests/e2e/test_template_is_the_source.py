"""The template is the source of the local stack: what it removes is gone, what a function is not
given in it fails the function, and stopping the stack leaves nothing behind."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from local.template import ROOT, Stack
from tests.support.local_stack import LocalStackProcess


def references(value: Any, logical_id: str) -> bool:
    text = json.dumps(value)
    return f'"{logical_id}"' in text or f"{logical_id}." in text or "${" + logical_id in text


def without(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """The template minus a resource and, transitively, whatever refers to it."""
    resources = dict(template["Resources"])
    doomed = {logical_id}
    while True:
        more = {lid for lid, res in resources.items() if lid not in doomed and any(references(res, d) for d in doomed)}
        if not more:
            break
        doomed |= more
    out = dict(template)
    out["Resources"] = {k: v for k, v in resources.items() if k not in doomed}
    out["Outputs"] = {
        k: v for k, v in (template.get("Outputs") or {}).items() if not any(references(v, d) for d in doomed)
    }
    return out


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            listed = (task / "children").read_text().split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        for child in listed:
            found.add(int(child))
            found |= children(int(child))
    return found


def port_is_free(port: int) -> bool:
    """Nothing listens on it (TIME_WAIT leftovers of closed connections do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def edited_stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # Given a copy of template.yaml without the mail index table (and what uses it) ...
    template = Stack.from_file().template
    edited = without(template, "MailIndexTable")
    # ... and where the health function is not given a variable its settings need
    env = edited["Resources"]["CrmHealthFunction"]["Properties"]["Environment"]["Variables"]
    del env["POWERTOOLS_SERVICE_NAME"]
    path = ROOT / ".local" / f"edited-template-{tmp_path_factory.getbasetemp().name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(edited))
    stack = LocalStackProcess(seed=False, template=path).start()
    yield stack
    stack.stop()
    path.unlink(missing_ok=True)


def test_a_table_removed_from_the_template_is_not_created(edited_stack: LocalStackProcess) -> None:
    tables = edited_stack.aws("dynamodb").list_tables()["TableNames"]
    assert "portals-local-MailIndexTable" not in tables
    assert "portals-local-OutboxTable" in tables


def test_a_function_missing_a_variable_fails_as_on_lambda(edited_stack: LocalStackProcess) -> None:
    with edited_stack.client() as http:
        answer = http.get("/crm/health")
    # an HTTP API answers a failed invocation with 500 {"message": "Internal Server Error"}
    assert answer.status_code == 500
    assert answer.json()["message"].lower() == "internal server error"
    assert (
        "POWERTOOLS_SERVICE_NAME" in edited_stack.log.read_text()
        or "POWERTOOLS_SERVICE_NAME" in (ROOT / ".local" / "functions.log").read_text()
    )


def test_stopping_leaves_no_process_or_port_behind() -> None:
    # Given a running stack that has started function workers
    stack = LocalStackProcess(seed=False).start()
    with stack.client() as http:
        assert http.get("/crm/health").status_code == 200
    assert stack.proc is not None
    spawned = children(stack.proc.pid)
    assert spawned, "the stack started no child process"
    # When it is stopped (as Ctrl-C / SIGTERM does)
    stack.stop()
    # Then every process it started is gone and both ports are free
    alive = {pid for pid in spawned if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)}
    assert alive == set()
    assert port_is_free(stack.port) and port_is_free(stack.aws_port)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"
