"""`make build`: sam build, then hash-based .pyc for every shipped .py (SAM's zips carry 1980 file
times, which make timestamp .pyc useless on Lambda)."""

import importlib.util
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
