"""Fuzzing: schemathesis against /openapi.json of the running local stack, every route.

The description is the one the functions' own resolvers give (local/openapi.py merges them), with
the responses each route really gives (portal_common.web.openapi_docs). For each operation,
schemathesis generates requests from it, valid ones (positive) and invalid ones (negative), sends
them over real HTTP, and checks each answer: not a server error (no 5xx), a documented status code,
a body that conforms to the documented schema.

Callers, by the route's authorizer in template.yaml: public routes signed out (with the CSRF cookie
a public page sets); Partners routes as a fresh partner, Leadworks routes as a fresh advertiser (each
with a session cookie, the CSRF token of its forms, and objects of its own whose ids are tried too);
/crm/ routes unsigned, as the local seed and the other tests call them (SAM CLI's local gateway does
not enforce AWS_IAM; the routes behind it are the same code).

Generated data lands in the shared stack: the generated requests that could touch someone else's
objects are pointed at throwaway ones (a partner and an advertiser registered for this module; new
proposals go to that partner's ZIP code), and no session other tests use is signed out.

`make test` runs a few examples per operation (FUZZ_EXAMPLES); `make stress` many more.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from local.template import Stack
from tests.support import portal_callers as pc
from tests.support.local_stack import LocalStackProcess
from tests.support.partners import unique_zip

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
FUZZ_EXAMPLES = 8  # per operation, per generation mode
STRESS_EXAMPLES = 150
GROUPS = {"NONE": "public", "PartnerSession": "partners", "AdvertiserSession": "leadworks", "AWS_IAM": "crm"}
OWN_IDS = ("proposal_id", "image_id", "rph_id", "lead_id", "upload_id")


def template_routes() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> caller group, for every HTTP route and function URL of template.yaml."""
    routes: dict[tuple[str, str], str] = {}
    for logical_id, resource in Stack.from_file().of_type("AWS::Serverless::Function").items():
        props = resource["Properties"]
        if props.get("FunctionUrlConfig"):  # email-link landing pages, public (any method, one function)
            routes[("*", f"/fn/{logical_id}")] = "public"
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "HttpApi" and event["Properties"]["Path"] != "$default":
                # ($default is what no route matches, not an operation: tests/integration/test_site_not_found.py)
                p = event["Properties"]
                routes[(p["Method"].upper(), p["Path"])] = GROUPS[(p.get("Auth") or {}).get("Authorizer", "NONE")]
    return routes


def group_of(method: str, path: str, routes: dict[tuple[str, str], str]) -> str | None:
    if path.startswith("/fn/"):
        return routes.get(("*", "/".join(path.split("/")[:3])))
    return routes.get((method.upper(), path.rstrip("/") or "/"))


@dataclass
class Fuzzing:
    """The description, the callers of each group, ids of their own objects, and throwaway CRM targets."""

    base_url: str
    schema: Any
    callers: dict[str, pc.Caller]
    own_ids: dict[str, dict[str, str]]
    crm_targets: dict[str, str]
    statuses: Counter[int] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def fuzzing(local_stack: LocalStackProcess) -> Fuzzing:
    # the first GET /openapi.json asks every function for its description (cold starts): be patient
    document = httpx.get(f"{local_stack.url}/openapi.json", timeout=300).json()
    partner, partner_zip = pc.new_partner(local_stack, "fuzz partner")
    advertiser = pc.new_advertiser(local_stack, "fuzz advertiser")
    proposal_id = pc.sent_proposal(local_stack, partner_zip)
    own_ids = {
        "partners": {
            "proposal_id": proposal_id,
            "image_id": pc.image_of(local_stack, partner, proposal_id),
            "rph_id": pc.new_rph(local_stack, partner),
        },
        "leadworks": {
            "lead_id": pc.new_lead(local_stack, advertiser),
            "upload_id": pc.new_upload(local_stack, advertiser),
        },
    }
    crm_partner, crm_zip = pc.new_partner(local_stack, "CRM's throwaway partner")
    crm_targets = {
        "partner_id": crm_partner.subject_id or "",
        "zip": crm_zip,
        "proposal_id": pc.sent_proposal(local_stack, crm_zip, with_image=False),
        "advertiser_id": pc.new_advertiser(local_stack, "CRM's throwaway advertiser").subject_id or "",
    }
    callers = {
        "public": pc.anonymous(local_stack),
        "partners": partner,
        "leadworks": advertiser,
        "crm": pc.Caller("CRM"),
    }
    return Fuzzing(local_stack.url, schemathesis.openapi.from_dict(document), callers, own_ids, crm_targets)


def operations(fuzzing: Fuzzing, group: str) -> list[Any]:
    routes = template_routes()
    found = []
    for result in fuzzing.schema.get_all_operations():
        operation = result.ok()
        if group_of(operation.method, operation.path, routes) == group:
            found.append(operation)
    return found


def aim(case: Any, group: str, fuzzing: Fuzzing) -> None:
    """Point a generated request away from other users' data, and give forms their CSRF token."""
    caller = fuzzing.callers[group]
    if case.media_type == "application/x-www-form-urlencoded" and isinstance(case.body, dict):
        case.body["csrf_token"] = caller.csrf
    if group != "crm":
        return
    params = case.path_parameters or {}
    for name in ("partner_id", "advertiser_id"):  # change or deactivate only the throwaway ones
        if name in params:
            params[name] = fuzzing.crm_targets[name]
    body = case.body if isinstance(case.body, dict) else {}
    if case.operation.path == "/crm/proposals" and isinstance(body.get("property_address"), dict):
        body["property_address"]["zip"] = fuzzing.crm_targets["zip"]  # new proposals: the throwaway partner's
    if case.operation.path.startswith("/crm/partners") and "zip" in body:
        body["zip"] = unique_zip()  # a ZIP code no other test's partner has


def fuzz(fuzzing: Fuzzing, group: str, examples: int) -> tuple[int, list[str]]:
    """(cases sent, failures) for every operation of a group, valid and invalid requests, and the
    caller's own object ids in the paths of signed-in routes."""
    caller = fuzzing.callers[group]
    own = fuzzing.own_ids.get(group, {})
    sent = 0
    failures: list[str] = []
    for operation in operations(fuzzing, group):
        path_ids = set(re.findall(r"\{(\w+)\}", operation.path))
        strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
        if path_ids and path_ids <= set(own):  # and the caller's own objects, whose answers are real pages
            strategies.append(operation.as_strategy(path_parameters={k: own[k] for k in path_ids}))
        if path_ids & {"partner_id", "advertiser_id"} and group == "crm":
            strategies = strategies[:1]  # every id becomes the throwaway one: valid requests are enough

        for strategy in strategies:

            @given(case=strategy)
            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                nonlocal sent
                aim(case, group, fuzzing)
                headers = caller.cookie_header()
                response = case.call(base_url=fuzzing.base_url, headers=headers, timeout=90, allow_redirects=False)
                sent += 1
                fuzzing.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except BaseExceptionGroup as problems:
                    failures.append(f"{case.operation.label} -> {response.status_code}: {problems}")

            try:
                run()
            except Exception as exc:  # a mode that cannot make a case (no parameters to break) has nothing to send
                if "Unsatisfiable" not in type(exc).__name__:
                    raise
    return sent, failures


def test_every_route_of_the_template_is_in_the_openapi_description(fuzzing: Fuzzing) -> None:
    # Given the routes of template.yaml and the operations of GET /openapi.json
    routes = template_routes()
    described = {(op.ok().method.upper(), op.ok().path) for op in fuzzing.schema.get_all_operations()}
    # Then every operation belongs to a route (and so to a caller group) ...
    assert not [d for d in described if group_of(*d, routes) is None]
    # ... and every route is described
    in_description = {(m, p.rstrip("/") or "/") for m, p in described if not p.startswith("/fn/")}
    functions = {"/".join(p.split("/")[:3]) for _, p in described if p.startswith("/fn/")}
    missing = [
        r for r in routes if (r[0] == "*" and r[1] not in functions) or (r[0] != "*" and r not in in_description)
    ]
    assert not missing


@pytest.mark.parametrize("group", ["public", "partners", "leadworks", "crm"])
def test_fuzzed_requests_get_no_server_error_and_answers_as_described(fuzzing: Fuzzing, group: str) -> None:
    # When schemathesis sends valid and invalid requests to every operation of the group
    started = time.monotonic()
    sent, failures = fuzz(fuzzing, group, FUZZ_EXAMPLES)
    # Then no answer is a 5xx, has an undocumented status, or breaks its documented schema
    assert sent > 0
    assert not failures, f"{len(failures)} of {sent} fuzzed requests failed:\n" + "\n\n".join(failures[:20])
    print(f"\n{group}: {sent} fuzzed requests, 0 failures, {time.monotonic() - started:.0f} s")


@pytest.mark.stress
@pytest.mark.parametrize("group", ["public", "partners", "leadworks", "crm"])
def test_a_long_fuzzing_run_finds_nothing_either(fuzzing: Fuzzing, group: str) -> None:
    sent, failures = fuzz(fuzzing, group, STRESS_EXAMPLES)
    assert not failures, f"{len(failures)} of {sent} fuzzed requests failed:\n" + "\n\n".join(failures[:20])
    print(f"\n{group}: {sent} fuzzed requests, 0 failures")
