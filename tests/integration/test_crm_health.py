"""GET /crm/health through its real handler, with the sample event."""

import json

from local.inprocess import LambdaHarness, sample_event


def test_health_answers_ok_with_the_stage(lambdas: LambdaHarness) -> None:
    # Given the sample event of the CRM's monitor
    event = sample_event("crm/health.json")
    # When the health function handles it
    answer = lambdas.invoke("CrmHealthFunction", event)
    # Then it answers 200 with the stage from the template's Globals
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"status": "ok", "stage": "dev"}


def test_an_unknown_path_is_a_json_404_with_a_correlation_id(lambdas: LambdaHarness) -> None:
    event = sample_event("crm/health.json", rawPath="/crm/nothing")
    event["requestContext"]["http"]["path"] = "/crm/nothing"
    answer = lambdas.invoke("CrmHealthFunction", event)
    assert answer["statusCode"] == 404
    body = json.loads(answer["body"])
    assert body["error"]["code"] == "not_found"
    assert body["error"]["correlation_id"] == "health-request-1"
