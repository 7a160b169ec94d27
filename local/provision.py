"""Create every data resource of template.yaml in an AWS endpoint (the embedded moto server).

There is no second list of tables, queues or buckets anywhere: each resource of a supported type in
the template is created from its own properties, and its physical values (names, URLs, ARNs) are
recorded on the Stack so that Ref/GetAtt in function environments resolve to them.

moto's CloudFormation cannot take the SAM transform and skips Cognito, Secrets Manager and
ApiGatewayV2 (see ../shared/LOCAL-AWS-FACTS.md), so the resources are created with the service APIs.
Functions are never created in moto (it cannot run them); the runner (local/functions.py) does.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import boto3

from local.template import ACCOUNT_ID, Stack, UnresolvedReference

LOG = logging.getLogger("local.provision")

# Types created in AWS, in an order that satisfies their references to each other.
CREATION_ORDER = [
    "AWS::SecretsManager::Secret",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::EmailIdentity",
]


def function_url_base(gateway_url: str, logical_id: str) -> str:
    """Where the local gateway serves a function's URL (in AWS: https://<id>.lambda-url.<region>.on.aws/)."""
    return f"{gateway_url.rstrip('/')}/fn/{logical_id}/"


def _client(service: str, endpoint_url: str | None, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)


class Provisioner:
    def __init__(self, stack: Stack, endpoint_url: str | None, gateway_url: str = "http://127.0.0.1:3000"):
        self.stack = stack
        self.endpoint_url = endpoint_url
        self.gateway_url = gateway_url
        self._creators: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::DynamoDB::Table": self._table,
            "AWS::S3::Bucket": self._bucket,
            "AWS::SQS::Queue": self._queue,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::SES::ConfigurationSet": self._configuration_set,
            "AWS::SES::EmailIdentity": self._email_identity,
        }

    def client(self, service: str) -> Any:
        return _client(service, self.endpoint_url, self.stack.region)

    # ------------------------------------------------------------------------------------------
    def create_all(self, only_types: set[str] | None = None) -> None:
        self.record_compute_resources()
        for rtype in CREATION_ORDER:
            if only_types is not None and rtype not in only_types:
                continue
            pending = dict(self.stack.of_type(rtype))
            while pending:
                progressed = False
                for logical_id, resource in list(pending.items()):
                    try:
                        props = self.stack.resolve(resource.get("Properties") or {})
                    except UnresolvedReference:
                        continue
                    self._creators[rtype](logical_id, props)
                    LOG.debug("created %s %s", rtype, logical_id)
                    del pending[logical_id]
                    progressed = True
                if not progressed:
                    raise UnresolvedReference(f"cannot resolve properties of {sorted(pending)}")

    def record_compute_resources(self) -> None:
        """Physical values of resources the runner plays itself (functions, their URLs, the API)."""
        stack = self.stack
        region = stack.region
        for logical_id in stack.of_type("AWS::Serverless::Function"):
            name = stack.physical_name(logical_id)
            arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
            stack.refs[logical_id] = name
            stack.attrs[logical_id] = {"Arn": arn}
            url = function_url_base(self.gateway_url, logical_id)
            stack.refs[f"{logical_id}Url"] = url
            stack.attrs[f"{logical_id}Url"] = {"FunctionUrl": url, "FunctionArn": arn}
        for logical_id in stack.of_type("AWS::Serverless::HttpApi"):
            stack.refs[logical_id] = "local"
            stack.attrs[logical_id] = {"ApiEndpoint": self.gateway_url, "ApiId": "local"}
        for logical_id in stack.of_type("AWS::Serverless::LayerVersion"):
            stack.refs[logical_id] = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:layer:{logical_id}:1"
        for logical_id in stack.of_type("AWS::Logs::LogGroup"):
            stack.refs[logical_id] = logical_id

    # -- creators ------------------------------------------------------------------------------
    def _secret(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or self.stack.physical_name(logical_id)
        if "SecretString" in props:
            value = props["SecretString"]
        else:
            gen = props.get("GenerateSecretString") or {}
            generated = secrets.token_urlsafe(int(gen.get("PasswordLength", 32)))[: int(gen.get("PasswordLength", 32))]
            if gen.get("SecretStringTemplate"):
                doc = json.loads(gen["SecretStringTemplate"])
                doc[gen["GenerateStringKey"]] = generated
                value = json.dumps(doc)
            else:
                value = generated
        arn = self.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
        self.stack.refs[logical_id] = arn
        self.stack.attrs[logical_id] = {"Id": arn}

    def _table(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("TableName") or self.stack.physical_name(logical_id)
        args: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if args["BillingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = props.get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("LocalSecondaryIndexes"):
            args["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        ddb = self.client("dynamodb")
        table = ddb.create_table(**args)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self.stack.refs[logical_id] = name
        self.stack.attrs[logical_id] = {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn")}

    def _bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("BucketName") or self.stack.physical_name(logical_id, lower=True)
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        if props.get("PublicAccessBlockConfiguration"):
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if props.get("BucketEncryption"):
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {  # CloudFormation's key differs from the API's
                            "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                            **({"BucketKeyEnabled": rule["BucketKeyEnabled"]} if "BucketKeyEnabled" in rule else {}),
                        }
                        for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                    ]
                },
            )
        if props.get("CorsConfiguration"):
            s3.put_bucket_cors(Bucket=name, CORSConfiguration=props["CorsConfiguration"])
        self.stack.refs[logical_id] = name
        self.stack.attrs[logical_id] = {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self.stack.region}.amazonaws.com",
        }

    def _queue(self, logical_id: str, props: dict[str, Any]) -> None:
        fifo = bool(props.get("FifoQueue"))
        name = props.get("QueueName") or self.stack.physical_name(logical_id) + (".fifo" if fifo else "")
        attributes: dict[str, str] = {}
        for key in (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "MaximumMessageSize",
        ):
            if key in props:
                attributes[key] = str(props[key])
        if fifo:
            attributes["FifoQueue"] = "true"
            attributes["ContentBasedDeduplication"] = str(bool(props.get("ContentBasedDeduplication"))).lower()
        if props.get("RedrivePolicy"):
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.stack.refs[logical_id] = url
        self.stack.attrs[logical_id] = {"Arn": arn, "QueueName": name, "QueueUrl": url}

    def _user_pool(self, logical_id: str, props: dict[str, Any]) -> None:
        args: dict[str, Any] = {"PoolName": props.get("UserPoolName") or self.stack.physical_name(logical_id)}
        for key in ("UsernameAttributes", "AutoVerifiedAttributes", "AdminCreateUserConfig", "Policies"):
            if key in props:
                args[key] = props[key]
        if props.get("Schema"):
            args["Schema"] = props["Schema"]
        pool = self.client("cognito-idp").create_user_pool(**args)["UserPool"]
        self.stack.refs[logical_id] = pool["Id"]
        self.stack.attrs[logical_id] = {
            "Arn": pool["Arn"],
            "ProviderName": f"cognito-idp.{self.stack.region}.amazonaws.com/{pool['Id']}",
            "ProviderURL": f"https://cognito-idp.{self.stack.region}.amazonaws.com/{pool['Id']}",
            "UserPoolId": pool["Id"],
        }

    def _user_pool_client(self, logical_id: str, props: dict[str, Any]) -> None:
        args = {k: v for k, v in props.items() if k != "UserPoolId"}
        args.setdefault("ClientName", logical_id)
        client = self.client("cognito-idp").create_user_pool_client(UserPoolId=props["UserPoolId"], **args)
        client_id = client["UserPoolClient"]["ClientId"]
        self.stack.refs[logical_id] = client_id
        self.stack.attrs[logical_id] = {"ClientId": client_id}

    def _configuration_set(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or self.stack.physical_name(logical_id)
        self.client("sesv2").create_configuration_set(ConfigurationSetName=name)
        self.stack.refs[logical_id] = name

    def _email_identity(self, logical_id: str, props: dict[str, Any]) -> None:
        identity = props["EmailIdentity"]
        # moto verifies at once; v1 and v2 sends both require it
        self.client("ses").verify_email_identity(EmailAddress=identity)
        self.stack.refs[logical_id] = identity


def provision(stack: Stack, endpoint_url: str | None, gateway_url: str = "http://127.0.0.1:3000") -> Stack:
    Provisioner(stack, endpoint_url, gateway_url).create_all()
    return stack
