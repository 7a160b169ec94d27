"""What `make build` does to `sam build`'s output before it ships (the benchmark's build does the same):

1. every page and email template compiled ahead of time, with the layer's own Jinja2
   (portal_common.web.compiled_templates);
2. botocore's data slimmed for the services the code creates clients for (`slim_botocore`);
3. a hash-based .pyc for every shipped .py (SAM's zips carry 1980 file times, which make
   timestamp-based .pyc useless on Lambda).

Why (2): a cold start spends most of its client creation parsing botocore's JSON. endpoints.json
(1.25 MB, every service in every partition) is parsed by the first client of every process, and each
service's model ships with its documentation and a pretty-printed endpoint rule set (S3's is 0.9 MB).
The layer's botocore (the functions import it before the runtime's) keeps, for the services below:
the model with its `documentation` strings emptied (botocore only makes docstrings of them), the
rule sets and other files as compact JSON, stored uncompressed (botocore reads `.json` before
`.json.gz`); and endpoints.json keeps every partition and region but only these services' entries.
Any other service still works: its model is untouched, and its endpoint comes from its rule set and
the partition's defaults. tests/unit/test_artifact.py checks what is emptied and what is kept;
tests/template/test_build.py drives each service through the built layer's botocore and compares
its endpoints in five partitions with the unslimmed botocore's.

    python -m local.artifact BUILD_DIR
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# The services portal_common.aws creates clients for (tests/template/test_build.py checks the code
# names no other), and STS, which botocore's own credential providers may call.
CLIENT_SERVICES = ("cognito-idp", "dynamodb", "s3", "secretsmanager", "sesv2", "sqs")
ENDPOINT_SERVICES = (*CLIENT_SERVICES, "sts")

LAYER_PYTHON = Path("CommonLayer") / "python"


def _read_json(stem: Path) -> Any:
    """The document botocore would load for ``stem`` (``.json`` first, then ``.json.gz``), or None."""
    plain, packed = stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".json.gz")
    if plain.exists():
        return json.loads(plain.read_bytes())
    if packed.exists():
        return json.loads(gzip.decompress(packed.read_bytes()))
    return None


def _write_compact(stem: Path, document: Any) -> None:
    stem.with_name(stem.name + ".json").write_text(json.dumps(document, separators=(",", ":")))
    stem.with_name(stem.name + ".json.gz").unlink(missing_ok=True)


def without_documentation(node: Any, *, members: bool = False) -> Any:
    """A service model with its ``documentation`` strings emptied (botocore reads some of those keys,
    e.g. a client context parameter's, so they stay). Inside a ``members`` map the keys are field
    names (a field may be called ``documentation``), so only their values are cleaned."""
    if isinstance(node, dict):
        return {
            key: ""
            if key == "documentation" and isinstance(value, str) and not members
            else without_documentation(value, members=key == "members" and not members)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [without_documentation(item) for item in node]
    return node


def endpoints_for(document: dict[str, Any], services: tuple[str, ...]) -> dict[str, Any]:
    """endpoints.json with every partition and region, and only ``services``' entries."""
    partitions = [
        {**partition, "services": {name: entry for name, entry in partition["services"].items() if name in services}}
        for partition in document["partitions"]
    ]
    return {**document, "partitions": partitions}


def slim_botocore(layer_python: Path) -> int:
    """Slim the layer's botocore data in place (idempotent); returns the bytes it no longer parses."""
    data = layer_python / "botocore" / "data"
    if not data.is_dir():
        raise SystemExit(f"no botocore data in {layer_python}: is the layer built?")

    def size(stem: Path) -> int:
        files = (stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".json.gz"))
        return sum(
            len(gzip.decompress(f.read_bytes())) if f.suffix == ".gz" else f.stat().st_size for f in files if f.exists()
        )

    saved = 0
    endpoints = data / "endpoints"
    before = size(endpoints)
    _write_compact(endpoints, endpoints_for(_read_json(endpoints), ENDPOINT_SERVICES))
    saved += before - size(endpoints)
    for service in CLIENT_SERVICES:
        for version in sorted(p for p in (data / service).iterdir() if p.is_dir()):
            for name in ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2"):
                stem = version / name
                document = _read_json(stem)
                if document is None:
                    continue
                before = size(stem)
                _write_compact(stem, without_documentation(document) if name == "service-2" else document)
                saved += before - size(stem)
    return saved


def finish(build_dir: Path, python313: str) -> None:
    """Steps 1–3 on a `sam build` output folder."""
    layer = build_dir / LAYER_PYTHON
    subprocess.run(  # noqa: S603
        [python313, "-m", "portal_common.web.compiled_templates", str(build_dir)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(layer)},
    )
    saved = slim_botocore(layer)
    sys.stderr.write(f"botocore data: {saved / 1e6:.1f} MB less to parse for {', '.join(CLIENT_SERVICES)}\n")
    subprocess.run(  # noqa: S603
        [python313, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(build_dir)],
        check=True,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        raise SystemExit("usage: python -m local.artifact BUILD_DIR")
    finish(Path(sys.argv[1]), sys.executable)
