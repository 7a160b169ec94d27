"""local/artifact.py's botocore slimming: what it keeps and what it empties."""

import gzip
import json
from pathlib import Path

from local.artifact import CLIENT_SERVICES, endpoints_for, slim_botocore, without_documentation


def test_documentation_strings_are_emptied_but_fields_named_documentation_stay() -> None:
    # Given a model whose shape has docs and a member that is itself called "documentation"
    model = {
        "documentation": "<p>The service.</p>",
        "operations": {"Get": {"name": "Get", "documentation": "<p>Gets.</p>", "input": {"shape": "GetInput"}}},
        "shapes": {
            "GetInput": {
                "type": "structure",
                "members": {
                    "documentation": {"shape": "String", "documentation": "<p>A field.</p>"},
                    "Id": {"shape": "String"},
                },
                "documentation": "<p>Input.</p>",
            },
        },
        "clientContextParams": {"Accelerate": {"documentation": "<p>On.</p>", "type": "boolean"}},
    }
    # When it is slimmed
    slim = without_documentation(model)
    # Then every documentation string is empty, its key kept (botocore reads clientContextParams' docs),
    # the member called "documentation" is still a member, and nothing else changed
    assert slim["documentation"] == "" and slim["operations"]["Get"]["documentation"] == ""
    assert slim["clientContextParams"]["Accelerate"] == {"documentation": "", "type": "boolean"}
    members = slim["shapes"]["GetInput"]["members"]
    assert members == {"documentation": {"shape": "String", "documentation": ""}, "Id": {"shape": "String"}}
    assert slim["operations"]["Get"]["input"] == {"shape": "GetInput"}


def test_endpoints_keep_every_partition_and_region_and_only_the_named_services() -> None:
    # Given two partitions, each with regions and three services
    document = {
        "version": 3,
        "partitions": [
            {"partition": p, "regions": {f"{p}-1": {}}, "defaults": {"hostname": "{service}.{region}.{dnsSuffix}"},
             "services": {"dynamodb": {"endpoints": {f"{p}-1": {}}}, "ec2": {}, "s3": {"isRegionalized": True}}}
            for p in ("aws", "aws-cn")
        ],
    }  # fmt: skip
    # When it is trimmed to DynamoDB and S3
    trimmed = endpoints_for(document, ("dynamodb", "s3"))
    # Then both partitions keep their regions and defaults, and lose only EC2
    assert [p["partition"] for p in trimmed["partitions"]] == ["aws", "aws-cn"]
    for before, after in zip(document["partitions"], trimmed["partitions"], strict=True):
        assert after["regions"] == before["regions"] and after["defaults"] == before["defaults"]
        assert set(after["services"]) == {"dynamodb", "s3"}
        assert after["services"]["dynamodb"] == before["services"]["dynamodb"]
    assert trimmed["version"] == 3


def test_slimming_a_data_folder_twice_gives_the_same_files(tmp_path: Path) -> None:
    # Given a botocore data folder as pip installs it (gzipped model, pretty-printed rule set)
    data = tmp_path / "botocore" / "data"
    version = data / "sqs" / "2012-11-05"
    version.mkdir(parents=True)
    model = {"documentation": "<p>Queues.</p>", "operations": {}, "shapes": {}}
    (version / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(model, indent=2).encode()))
    (version / "endpoint-rule-set-1.json").write_text(json.dumps({"version": "1.0", "rules": []}, indent=4))
    (data / "endpoints.json").write_text(
        json.dumps({"partitions": [{"partition": "aws", "services": {"sqs": {}, "ec2": {}}}]})
    )
    for name in CLIENT_SERVICES:
        (data / name).mkdir(exist_ok=True)
    # When it is slimmed, then slimmed again
    saved = slim_botocore(tmp_path)
    first = {p.name: p.read_bytes() for p in data.rglob("*.json*")}
    again = slim_botocore(tmp_path)
    # Then the model is plain compact JSON with empty docs, the gzipped copy is gone, and the second
    # pass finds nothing more to save
    assert saved > 0 and again == 0
    assert json.loads((version / "service-2.json").read_text()) == {**model, "documentation": ""}
    assert not (version / "service-2.json.gz").exists()
    assert "\n" not in (version / "endpoint-rule-set-1.json").read_text()
    assert {p.name: p.read_bytes() for p in data.rglob("*.json*")} == first
    assert set(json.loads((data / "endpoints.json").read_text())["partitions"][0]["services"]) == {"sqs"}
