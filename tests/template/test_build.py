"""`make build`: sam build, then local/artifact.py: templates compiled ahead, botocore's data slimmed,
hash-based .pyc for every shipped .py (SAM's zips carry 1980 file times, which make timestamp .pyc
useless on Lambda)."""

import fcntl
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from local.template import ROOT

BUILD = ROOT / ".aws-sam" / "build"
MAGIC = importlib.util.MAGIC_NUMBER


@pytest.fixture(scope="module")
def build_dir() -> Path:
    """CI runs `make build` before the tests; built here when missing or older than the template."""
    built = BUILD / "template.yaml"
    BUILD.parent.mkdir(exist_ok=True)
    # one build at a time: each test worker has this fixture, and two builds into one folder clobber it
    with (BUILD.parent / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists() or built.stat().st_mtime < (ROOT / "template.yaml").stat().st_mtime:
            subprocess.run(["make", "build"], cwd=ROOT, check=True, capture_output=True)
    return BUILD


def test_every_shipped_py_has_a_valid_unchecked_hash_pyc(build_dir: Path) -> None:
    sources = [p for p in build_dir.rglob("*.py") if "__pycache__" not in p.parts]
    assert sources, "the build shipped no Python files"
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    assert tag == "cpython-313", "run the tests with Python 3.13, the Lambda runtime"
    bad = []
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not pyc.exists():
            bad.append(f"missing {pyc.relative_to(build_dir)}")
            continue
        header = pyc.read_bytes()[:16]
        flags = int.from_bytes(header[4:8], "little")
        if header[:4] != MAGIC or flags != 0b01 or header[8:16] != importlib.util.source_hash(source.read_bytes()):
            bad.append(f"stale or timestamp-based {pyc.relative_to(build_dir)}")
    assert bad == [], f"{len(bad)} of {len(sources)} files: {bad[:10]}"


def test_every_function_is_built_with_the_layer(build_dir: Path) -> None:
    from local.template import Stack

    functions = Stack.from_file().of_type("AWS::Serverless::Function")
    for logical_id in functions:
        assert (build_dir / logical_id).is_dir(), f"{logical_id} was not built"
    assert (build_dir / "CommonLayer" / "python" / "portal_common" / "__init__.py").exists()
    assert (build_dir / "CommonLayer" / "python" / "pydantic").is_dir()


def test_every_shipped_template_is_compiled_from_its_own_source(build_dir: Path) -> None:
    """Given the artifact, when each template folder's ahead-of-time modules are compared with a
    fresh compile of the folder's sources (same options, same pinned Jinja2), then every template
    has its module, each module is what its source compiles to, and no module is left over."""
    from jinja2 import FileSystemLoader, ModuleLoader

    from portal_common.web.compiled_templates import COMPILED, new_environment, template_folders

    folders = template_folders(build_dir)
    assert build_dir / "CommonLayer" / "python" / "portal_common" / "templates" in folders
    assert any(folder.parent.name == "PartnersListProposalsFunction" for folder in folders)
    problems, compiled = [], 0
    for folder in folders:
        env = new_environment(FileSystemLoader(str(folder)))
        names = [n for n in env.list_templates() if n.endswith((".html", ".txt")) and not n.startswith(COMPILED)]
        expected = {ModuleLoader.get_module_filename(n): n for n in names}
        shipped = {p.name for p in (folder / COMPILED).glob("*.py")}
        if leftovers := shipped - set(expected):
            problems.append(f"{folder}: modules without a template: {sorted(leftovers)}")
        for module, name in expected.items():
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            path = folder / COMPILED / module
            if not path.exists():
                problems.append(f"{folder}: {name} was not compiled")
            elif path.read_text() != env.compile(source, name, filename, raw=True, defer_init=True):
                problems.append(f"{folder}: {name} is stale")
            else:
                compiled += 1
    assert problems == [], problems[:10]
    assert compiled > 100


# What a function's process sees on Lambda: the layer's (slimmed) botocore before the runtime's
# boto3. It talks to an embedded AWS over HTTP (moto itself would load the slimmed data otherwise).
_SLIM_SMOKE = r"""
import json, sys
sys.path[:0] = PATHS
import boto3, botocore
from botocore.config import Config
assert botocore.__file__.startswith(PATHS[0]), botocore.__file__
out = {"endpoints": {}}
for region in ("us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"):
    for service in SERVICES:
        out["endpoints"][f"{service} {region}"] = boto3.client(service, region_name=region).meta.endpoint_url
if not ENDPOINT:
    print(json.dumps(out)); raise SystemExit
def client(name, **options):
    return boto3.client(name, region_name="us-east-1", endpoint_url=ENDPOINT, **options)
ddb = client("dynamodb")
ddb.create_table(TableName=NAME, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
ddb.put_item(TableName=NAME, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
try:
    ddb.put_item(TableName=NAME, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
except ddb.exceptions.ConditionalCheckFailedException as exc:
    out["conditional"] = exc.response["Error"]["Code"]
out["query"] = ddb.query(TableName=NAME, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "a"}})["Count"]
s3 = client("s3", config=Config(signature_version="s3v4"))
s3.create_bucket(Bucket=NAME)
s3.put_object(Bucket=NAME, Key="k", Body=b"body", ContentType="text/plain")
out["s3"] = s3.get_object(Bucket=NAME, Key="k")["Body"].read().decode()
out["presigned"] = "X-Amz-Signature=" in s3.generate_presigned_url("get_object", Params={"Bucket": NAME, "Key": "k"})
out["post"] = sorted(s3.generate_presigned_post(NAME, "k2", ExpiresIn=60)["fields"])
sqs = client("sqs")
url = sqs.create_queue(QueueName=NAME + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="g", MessageDeduplicationId="d")
out["sqs"] = sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]
ses = client("sesv2")
ses.create_email_identity(EmailIdentity=NAME + "@example.com")
out["ses"] = bool(ses.send_email(FromEmailAddress=NAME + "@example.com", Destination={"ToAddresses": ["to@example.com"]},
    Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}})["MessageId"])
idp = client("cognito-idp")
pool = idp.create_user_pool(PoolName=NAME)["UserPool"]["Id"]
idp.admin_create_user(UserPoolId=pool, Username="u@example.com")
out["cognito"] = idp.admin_get_user(UserPoolId=pool, Username="u@example.com")["Username"]
try:
    idp.admin_get_user(UserPoolId=pool, Username="nobody@example.com")
except idp.exceptions.UserNotFoundException as exc:
    out["cognito_error"] = exc.response["Error"]["Code"]
secrets = client("secretsmanager")
arn = secrets.create_secret(Name=NAME, SecretString='{"k": "v"}')["ARN"]
out["secret"] = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
try:
    secrets.get_secret_value(SecretId=NAME + "-missing")
except secrets.exceptions.ResourceNotFoundException as exc:
    out["secret_error"] = exc.response["Error"]["Code"]
print(json.dumps(out))
"""


def _run_clients(paths: list[str], endpoint: str = "") -> dict:
    import uuid

    from local.artifact import ENDPOINT_SERVICES

    name = f"slim-{uuid.uuid4().hex[:8]}"
    code = f"PATHS = {paths!r}; ENDPOINT = {endpoint!r}; NAME = {name!r}; SERVICES = {list(ENDPOINT_SERVICES)!r}\n"
    env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code + _SLIM_SMOKE], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_slimmed_botocore_serves_every_service_the_code_calls(build_dir: Path, tmp_path: Path) -> None:
    """Given the layer's botocore with its data slimmed (local/artifact.py), when a process loads it
    as Lambda does (layer first, then the runtime's boto3) and calls each service the code uses, then
    the calls succeed, modelled errors keep their types, presigned URLs and POSTs are signed, and each
    service resolves the same endpoint in five partitions' regions as the unslimmed botocore does."""
    from moto.server import ThreadedMotoServer

    from local.artifact import LAYER_PYTHON
    from tests.support.local_stack import free_port

    # only the layer's botocore: its native wheels are built for the deployed architecture
    (tmp_path / "botocore").symlink_to(build_dir / LAYER_PYTHON / "botocore")
    runtime = str(ROOT / ".local" / "runtime")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        slim = _run_clients([str(tmp_path), runtime], f"http://127.0.0.1:{port}")
    finally:
        server.stop()
    pristine = _run_clients([runtime])

    assert slim["conditional"] == "ConditionalCheckFailedException"
    assert slim["query"] == 1
    assert slim["s3"] == "body" and slim["presigned"] is True
    assert {"key", "policy", "x-amz-signature"} <= set(slim["post"])
    assert slim["sqs"] == "m" and slim["ses"] is True
    assert slim["cognito"] == "u@example.com" and slim["cognito_error"] == "UserNotFoundException"
    assert slim["secret"] == {"k": "v"} and slim["secret_error"] == "ResourceNotFoundException"
    assert slim["endpoints"] == pristine["endpoints"]
    assert (build_dir / LAYER_PYTHON / "botocore" / "data" / "s3" / "2006-03-01" / "service-2.json").exists()
    assert not (build_dir / LAYER_PYTHON / "botocore" / "data" / "s3" / "2006-03-01" / "service-2.json.gz").exists()


def test_the_code_creates_clients_only_for_the_services_whose_data_is_slimmed() -> None:
    """Given every `aws.client(...)` in the shipped code, then each service is
    one local/artifact.py slims (a new one must be added there, or its cold start pays the full data)."""
    import re

    from local.artifact import CLIENT_SERVICES

    named = set()
    for source in [*(ROOT / "layers" / "common").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        named |= set(re.findall(r"\bclient\(\s*\"([a-z0-9-]+)\"", source.read_text()))
    assert named, "no client found: has portal_common.aws changed its API?"
    assert named <= set(CLIENT_SERVICES), sorted(named - set(CLIENT_SERVICES))
