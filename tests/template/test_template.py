"""Template checks: lint-clean, transformable, every handler importable with only its own
environment and dependencies, every variable the code reads declared, no wildcard permissions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.functions import FunctionRunner, function_specs
from local.provision import Provisioner
from local.template import ROOT, Stack

TOOLS_BIN = ROOT / ".venv-tools" / "bin"


def fake_stack() -> Stack:
    """The template with every resource given a made-up physical value (no AWS needed to import)."""
    stack = Stack.from_file()
    Provisioner(stack, endpoint_url=None).record_compute_resources()
    for logical_id in stack.resources:
        stack.refs.setdefault(logical_id, f"local-{logical_id}")
        stack.attrs.setdefault(logical_id, {})
        for attr in ("Arn", "StreamArn", "QueueName", "QueueUrl", "ProviderURL", "FunctionUrl"):
            stack.attrs[logical_id].setdefault(attr, f"arn:aws:local:{logical_id}:{attr}")
    return stack


def test_cfn_lint_has_no_findings() -> None:
    result = subprocess.run(
        [str(TOOLS_BIN / "cfn-lint"), "template.yaml"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout == "" and result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lints_clean() -> None:
    result = subprocess.run(
        [str(TOOLS_BIN / "sam"), "validate", "--template-file", "template.yaml", "--region", "us-east-1", "--lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".local"), "SAM_CLI_TELEMETRY": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sam_transform_succeeds_and_leaves_no_circular_dependency() -> None:
    """Given template.yaml, when SAM's own translator transforms it as CloudFormation does on deploy
    (cfn-lint no longer runs the transform), then it succeeds, the generated resources (S3
    notifications, Lambda permissions, roles) depend on each other without a cycle, and cfn-lint
    finds nothing in them."""
    result = subprocess.run(
        [str(TOOLS_BIN / "python"), "-m", "local.sam_transform", "template.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".local")},
    )
    assert result.returncode == 0, result.stderr
    assert "no circular dependency, lint-clean" in result.stderr


def test_the_thumbnail_function_is_told_the_images_bucket_name_without_a_reference() -> None:
    """ImagesBucket notifies PartnersMakeThumbnailFunction, so the function's IMAGES_BUCKET cannot
    !Ref the bucket (a cycle): it is the same !Sub as the bucket's name, and every other function
    that reads the bucket refers to it."""
    stack = Stack.from_file()
    name = stack.resources["ImagesBucket"]["Properties"]["BucketName"]
    assert stack.function_environment("PartnersMakeThumbnailFunction")["IMAGES_BUCKET"] == name
    others = [
        env["IMAGES_BUCKET"]
        for logical_id in stack.of_type("AWS::Serverless::Function")
        if logical_id != "PartnersMakeThumbnailFunction"
        and "IMAGES_BUCKET" in (env := stack.function_environment(logical_id))
    ]
    assert others and all(value == {"Ref": "ImagesBucket"} for value in others)


@pytest.fixture(scope="module")
def runner() -> Any:
    from local.__main__ import prepare_runtime

    stack = fake_stack()
    runtime = prepare_runtime(stack)
    specs = function_specs(stack, runtime)
    with open(ROOT / ".local" / "template-test-functions.log", "a") as sink:
        run = FunctionRunner(
            specs, sys.executable, {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}, sink
        )
        yield run
        run.shutdown()


def function_ids() -> list[str]:
    return sorted(Stack.from_file().of_type("AWS::Serverless::Function"))


@pytest.mark.parametrize("logical_id", function_ids())
def test_handler_imports_with_only_its_code_layers_and_environment(runner: Any, logical_id: str) -> None:
    # Given the function's CodeUri, layers and template environment only (as on Lambda)
    worker = runner.spawn(runner.specs[logical_id])
    try:
        # Then its handler imports (settings validated at cold start) ...
        assert worker.init_error is None, json.dumps(worker.init_error, indent=1)
        # ... and every settings model its code may load is satisfied by its declared environment
        problems = worker.invoke({"__local__": "settings_check"})
        assert problems == [], "undeclared environment variables:\n" + "\n".join(problems)
    finally:
        worker.kill()


def test_only_settings_read_the_environment() -> None:
    offenders = []
    for path in [*ROOT.glob("functions/**/*.py"), *ROOT.glob("layers/common/portal_common/**/*.py")]:
        if path.name == "settings.py":
            continue
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] not in ("AWS::Serverless::Function", "AWS::IAM::Role", "AWS::IAM::Policy"):
            continue
        props = resource.get("Properties") or {}
        for policy in props.get("Policies") or []:
            if isinstance(policy, dict) and "Statement" in policy:
                found += [(logical_id, s) for s in policy["Statement"]]
        for policy in (
            props.get("PolicyDocument", {}).get("Statement", [])
            if isinstance(props.get("PolicyDocument"), dict)
            else []
        ):
            found.append((logical_id, policy))
    return found


def test_no_wildcard_in_iam_actions_or_resources() -> None:
    template = Stack.from_file().template
    bad = []
    for logical_id, statement in _statements(template):
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        for value in actions if isinstance(actions, list) else [actions]:
            if isinstance(value, str) and "*" in value:
                bad.append(f"{logical_id}: action {value}")
        for value in resources if isinstance(resources, list) else [resources]:
            if isinstance(value, str) and "*" in value:
                bad.append(f"{logical_id}: resource {value}")
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for policy in (resource.get("Properties") or {}).get("Policies") or []:
            if isinstance(policy, str):
                bad.append(f"{logical_id}: managed policy {policy} (use a scoped policy template)")
    assert bad == []


def test_every_function_has_a_log_group_with_retention() -> None:
    template = Stack.from_file().template
    groups = {
        json.dumps(r["Properties"]["LogGroupName"]): r["Properties"].get("RetentionInDays")
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    for logical_id in function_ids():
        name = json.dumps({"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"})
        assert groups.get(name), f"{logical_id} has no log group with retention"


def test_layer_requirements_match_the_project_dependencies() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [
        line.strip()
        for line in (ROOT / "layers/common/requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sorted(layer) == sorted(project)


def test_the_layer_ships_the_botocore_the_local_runtime_pins() -> None:
    """The layer's botocore (slimmed by `make build`) is the one functions import: it is pinned, at
    the version the local Lambda runtime's boto3 comes with."""

    def pins(path: str) -> dict[str, str]:
        lines = (ROOT / path).read_text().splitlines()
        return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))

    layer, runtime = pins("layers/common/requirements.txt"), pins("local/lambda-runtime.txt")
    assert layer["botocore"] == runtime["botocore"]
    assert runtime["boto3"].rsplit(".", 1)[0] == runtime["botocore"].rsplit(".", 1)[0]


def test_the_pages_users_are_sent_to_are_routes_as_api_gateway_matches_them() -> None:
    """An HTTP API matches a path exactly: /partners/ does not reach the route /partners (and a route
    may not end in a slash). So no route ends in one, and each portal's home, where sign-in sends its
    users, is a GET route of the template."""
    from portal_common.auth.portals import LEADWORKS, PARTNERS

    routes = set()
    for resource in Stack.from_file().of_type("AWS::Serverless::Function").values():
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                routes.add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    assert [path for _, path in routes if path.endswith("/")] == []
    for portal in (PARTNERS, LEADWORKS):
        assert ("GET", portal.home) in routes
        assert ("GET", portal.url("sign-in")) in routes


def test_every_http_function_has_a_sample_event() -> None:
    stack = Stack.from_file()
    missing = []
    for logical_id, resource in stack.of_type("AWS::Serverless::Function").items():
        code_uri = Path(resource["Properties"]["CodeUri"])
        module = resource["Properties"]["Handler"].split(".")[0]
        portal = code_uri.name
        if not list((ROOT / "events" / portal).glob(f"{module}*.json")):
            missing.append(f"{logical_id}: events/{portal}/{module}*.json")
    assert missing == []
