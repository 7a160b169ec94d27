"""The CRM registers and deactivates advertisers (POST /crm/advertisers[...]), against moto."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

from local.inprocess import LambdaHarness, sample_event
from local.template import Stack


def register(lambdas: LambdaHarness, **body: Any) -> dict[str, Any]:
    event = sample_event("leadworks/crm_register_advertiser.json", body=json.dumps(body))
    return lambdas.invoke("LeadworksRegisterAdvertiserFunction", event)


def deactivate(lambdas: LambdaHarness, advertiser_id: str) -> dict[str, Any]:
    event = sample_event(
        "leadworks/crm_deactivate_advertiser.json", rawPath=f"/crm/advertisers/{advertiser_id}/deactivate"
    )
    event["pathParameters"] = {"advertiser_id": advertiser_id}
    return lambdas.invoke("LeadworksDeactivateAdvertiserFunction", event)


def user(stack: Stack, email: str) -> dict[str, Any]:
    return boto3.client("cognito-idp").admin_get_user(UserPoolId=stack.refs["AdvertisersUserPool"], Username=email)


def crm_events(stack: Stack, event_type: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    return [e for e in (json.loads(i["event"]["S"]) for i in items) if e["type"] == event_type]


def test_registering_an_advertiser_makes_its_leadworks_user(stack: Stack, lambdas: LambdaHarness) -> None:
    email = f"ads.{uuid.uuid4().hex[:8]}@example.com"
    # When the CRM registers an advertiser with an access window
    answer = register(
        lambdas,
        advertiser_id="ADV-1",
        company_name="Bright Ads",
        email=email,
        access_end="2030-12-31",
        temporary_password="Welcome-2026-Ads",
    )
    # Then it is stored and answered, and its user carries the advertiser id the authorizer reads
    assert answer["statusCode"] == 201
    assert json.loads(answer["body"])["status"] == "active"
    attributes = {a["Name"]: a["Value"] for a in user(stack, email)["UserAttributes"]}
    assert attributes["custom:advertiser_id"] == "ADV-1" and attributes["custom:access_end"] == "2030-12-31"
    [event] = crm_events(stack, "advertiser.registered")
    assert event["data"]["advertiser_id"] == "ADV-1" and event["actor"]["kind"] == "crm"


def test_a_taken_id_or_email_is_refused_and_leaves_nothing_behind(stack: Stack, lambdas: LambdaHarness) -> None:
    register(lambdas, advertiser_id="ADV-1", company_name="Bright Ads", email="one@example.com")
    # The same id with another email: 409, and no user is left for that email
    again = register(lambdas, advertiser_id="ADV-1", company_name="Other", email="two@example.com")
    assert again["statusCode"] == 409
    users = boto3.client("cognito-idp").list_users(UserPoolId=stack.refs["AdvertisersUserPool"])["Users"]
    assert len(users) == 1
    # The same email under another id: 409 (Cognito's own uniqueness)
    assert register(lambdas, advertiser_id="ADV-2", company_name="Other", email="one@example.com")["statusCode"] == 409
    assert len(crm_events(stack, "advertiser.registered")) == 1


def test_deactivating_disables_the_user_once(stack: Stack, lambdas: LambdaHarness) -> None:
    register(lambdas, advertiser_id="ADV-1", company_name="Bright Ads", email="one@example.com")
    first, second = deactivate(lambdas, "ADV-1"), deactivate(lambdas, "ADV-1")
    assert first["statusCode"] == second["statusCode"] == 200
    assert json.loads(second["body"])["status"] == "inactive"
    assert user(stack, "one@example.com")["Enabled"] is False
    assert len(crm_events(stack, "advertiser.deactivated")) == 1
    assert deactivate(lambdas, "ADV-404")["statusCode"] == 404
