"""What `make build` ships: each function's code size, the layer's size without boto3, and the share
of shipped .py files with a valid unchecked-hash .pyc."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from local.template import ROOT, Stack

BUILD = ROOT / ".aws-sam" / "build"


def _size(path: Path, skip: tuple[str, ...] = ()) -> int:
    total = 0
    for item in path.rglob("*"):
        if item.is_file() and not any(part in skip for part in item.relative_to(path).parts):
            total += item.stat().st_size
    return total


def _valid_pyc(source: Path) -> bool:
    pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
    if not pyc.exists():
        return False
    header = pyc.read_bytes()[:16]
    return (
        header[:4] == importlib.util.MAGIC_NUMBER
        and int.from_bytes(header[4:8], "little") == 1
        and header[8:16] == importlib.util.source_hash(source.read_bytes())
    )


def measure() -> dict[str, Any]:
    stack = Stack.from_file()
    functions = {
        lid: _size(BUILD / lid, skip=("__pycache__",)) for lid in sorted(stack.of_type("AWS::Serverless::Function"))
    }
    layer_dir = BUILD / "CommonLayer" / "python"
    sources = [p for p in BUILD.rglob("*.py") if "__pycache__" not in p.parts]
    valid = sum(1 for p in sources if _valid_pyc(p))
    return {
        "function_code_bytes": functions,
        "layer_bytes_without_boto3": _size(layer_dir, skip=("boto3", "botocore", "s3transfer", "__pycache__")),
        "layer_bytes_with_pyc": _size(layer_dir),
        "py_files": len(sources),
        "py_files_with_valid_unchecked_hash_pyc": valid,
        "pyc_share": valid / len(sources) if sources else 0.0,
    }
