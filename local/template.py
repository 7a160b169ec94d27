"""template.yaml as the local stack sees it: resources, parameters and intrinsic functions.

This module is the one reader of the template for everything local (the provisioner, the runner,
the integration tests). It knows no table, queue or bucket by name: it only walks the template.
It needs PyYAML and nothing else, so it runs in the app's venv and in the SAM CLI tools venv.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"

_SHORT_TAGS = {
    "Ref": "Ref",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "FindInMap": "Fn::FindInMap",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Base64": "Fn::Base64",
    "Condition": "Condition",
}


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _SHORT_TAGS.get(tag_suffix, f"Fn::{tag_suffix}")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


class UnresolvedReference(LookupError):
    """An intrinsic names something that has no local value (yet)."""


@dataclass
class Stack:
    """A template plus the physical values of its resources in one (local) account."""

    template: dict[str, Any]
    name: str = "portals-local"
    region: str = "us-east-1"
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)  # logical id -> Ref value
    attrs: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> GetAtt values

    @classmethod
    def from_file(cls, path: Path = TEMPLATE_PATH, **kwargs: Any) -> Stack:
        return cls(load_template(path), **kwargs)

    # -- template views ------------------------------------------------------------------------
    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.get("Resources", {})

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in self.resources.items() if res.get("Type") in types}

    def parameters(self) -> dict[str, Any]:
        values = {}
        for name, spec in (self.template.get("Parameters") or {}).items():
            values[name] = self.parameter_overrides.get(name, spec.get("Default"))
        return values

    def function_environment(self, logical_id: str) -> dict[str, Any]:
        """The function's environment variables with Globals merged in (unresolved)."""
        globals_env = (((self.template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get(
            "Variables"
        ) or {}
        props = self.resources[logical_id].get("Properties") or {}
        own = (props.get("Environment") or {}).get("Variables") or {}
        return {**globals_env, **own}

    def function_property(self, logical_id: str, name: str, default: Any = None) -> Any:
        props = self.resources[logical_id].get("Properties") or {}
        if name in props:
            return props[name]
        return ((self.template.get("Globals") or {}).get("Function") or {}).get(name, default)

    def physical_name(self, logical_id: str, lower: bool = False) -> str:
        name = f"{self.name}-{logical_id}"
        return name.lower() if lower else name

    # -- intrinsic functions -------------------------------------------------------------------
    def pseudo(self) -> dict[str, Any]:
        return {
            "AWS::StackName": self.name,
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }

    def ref(self, name: str) -> Any:
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        params = self.parameters()
        if name in params:
            return params[name]
        if name in self.refs:
            return self.refs[name]
        raise UnresolvedReference(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        try:
            return self.attrs[logical_id][attribute]
        except KeyError:
            raise UnresolvedReference(f"{logical_id}.{attribute}") from None

    def resolve(self, value: Any) -> Any:
        """Resolve Ref, GetAtt, Sub, Join, Select, Split, If (conditions false) recursively."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(parts[0], parts[1])
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(self.resolve(i)) for i in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key == "Fn::If":
                _cond, _yes, no = arg
                return self.resolve(no)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in variables:
                return str(variables[token])
            if "." in token and not token.startswith("AWS::"):
                logical_id, attribute = token.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(token))

        return re.sub(r"\$\{([^}]+)\}", replace, text)
