"""portal_common.secret_values against moto's Secrets Manager: read once per max_age, failures and
non-JSON values never cached."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from portal_common import aws, secret_values
from portal_common.secret_values import SecretError, json_secret


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        aws.reset()
        secret_values.clear_cache()
        yield boto3.client("secretsmanager", region_name="us-east-1")
    aws.reset()
    secret_values.clear_cache()


def test_a_secret_is_read_once_per_max_age(secrets: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a JSON secret
    arn = secrets.create_secret(Name="keys", SecretString=json.dumps({"current_id": "k1"}))["ARN"]
    clock = [1000.0]
    monkeypatch.setattr(secret_values.time, "monotonic", lambda: clock[0])
    # When it is read, then changed, then read again within max_age
    assert json_secret(arn, max_age=300) == {"current_id": "k1"}
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({"current_id": "k2"}))
    clock[0] += 299
    # Then the cached value answers, and once max_age has passed the new version does
    assert json_secret(arn, max_age=300) == {"current_id": "k1"}
    clock[0] += 1
    assert json_secret(arn, max_age=300) == {"current_id": "k2"}


def test_failures_are_raised_and_not_cached(secrets: Any) -> None:
    # Given a missing secret, When it is read, Then the client's error is raised
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        json_secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope", max_age=300)
    # Given a secret that is not a JSON object, When it is read, Then it is a deployment error
    arn = secrets.create_secret(Name="bad", SecretString="not json")["ARN"]
    with pytest.raises(SecretError, match="not JSON"):
        json_secret(arn, max_age=300)
    # And once it is fixed, the next read sees it (nothing was cached)
    secrets.put_secret_value(SecretId=arn, SecretString='{"ok": true}')
    assert json_secret(arn, max_age=300) == {"ok": True}
