"""The SAM transform CloudFormation runs when the stack is deployed, run here, offline.

cfn-lint (and `sam validate --lint`) check the SAM resources against their schemas but no longer
run the transform itself, so a template they pass can still be refused by `sam deploy`: an event
the translator rejects, or a circular dependency that only exists once S3 notifications, Lambda
permissions and roles are generated. This runs SAM's own translator (samtranslator, in the tools
environment beside SAM CLI) on template.yaml, as `sam validate` without --lint does, then looks
for cycles in the transformed template's dependencies (Ref, GetAtt, Sub and DependsOn), which
CloudFormation refuses at change-set creation, and lints the transformed template with cfn-lint
(the roles, permissions and API definition SAM generates are never linted otherwise).

    .venv-tools/bin/python -m local.sam_transform [template.yaml]     (`make lint` runs it)
"""

from __future__ import annotations

import json
import re
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

# What `sam validate` puts in place of local code folders (the translator wants S3 URIs)
_S3_URI = "s3://bucket/key"
_SUB_NAMES = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def translate(template_path: Path, region: str = "us-east-1") -> dict[str, Any]:
    """The CloudFormation template SAM makes of ``template_path`` (raises with the translator's errors)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse(template_path.read_text())
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = _S3_URI
    translator = Translator(
        managed_policy_map=None, sam_parser=Parser(), plugins=[], boto_session=boto3.Session(region_name=region)
    )
    transformed: dict[str, Any] = translator.translate(
        sam_template=template, parameter_values={}, get_managed_policy_map=dict
    )
    return transformed


def dependencies(resource: dict[str, Any], names: set[str]) -> set[str]:
    """The resources (of ``names``) that ``resource`` refers to or depends on."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("Ref"), str):
                found.add(node["Ref"])
            if "Fn::GetAtt" in node:
                target = node["Fn::GetAtt"]
                found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
            if "Fn::Sub" in node:
                text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
                found.update(_SUB_NAMES.findall(text))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(resource.get("Properties") or {})
    depends_on = resource.get("DependsOn") or []
    found.update([depends_on] if isinstance(depends_on, str) else depends_on)
    return found & names


def cycles(resources: dict[str, dict[str, Any]]) -> list[list[str]]:
    """A circular dependency among ``resources``: a path in which each depends on the next, back to
    the first ([] when there is none)."""
    names = set(resources)
    try:
        TopologicalSorter({name: dependencies(r, names) for name, r in resources.items()}).prepare()
    except CycleError as exc:
        return [list(reversed(exc.args[1]))]  # graphlib lists each before what depends on it
    return []


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else Path("template.yaml")
    try:
        transformed = translate(path)
    except Exception as exc:  # the translator's own report: one line per refused resource
        causes = getattr(exc, "causes", None) or [exc]
        sys.stderr.write(f"{path}: the SAM transform fails:\n" + "".join(f"  {cause}\n" for cause in causes))
        return 1
    resources = transformed["Resources"]
    if found := cycles(resources):
        sys.stderr.write(
            f"{path}: circular dependencies once transformed:\n" + "".join(f"  {' -> '.join(c)}\n" for c in found)
        )
        return 1
    import cfnlint.api

    if findings := cfnlint.api.lint(json.dumps(transformed), regions=["us-east-1"]):
        sys.stderr.write(f"{path}: cfn-lint on the transformed template:\n" + "".join(f"  {m}\n" for m in findings))
        return 1
    sys.stderr.write(
        f"{path}: the SAM transform gives {len(resources)} resources, no circular dependency, lint-clean\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
