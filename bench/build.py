"""The artifact the cold-start benchmark runs: `make build`'s recipe (sam build + unchecked-hash
.pyc), for this machine's architecture. The template deploys arm64; this machine may be x86_64,
where arm64 wheels (pydantic-core, cryptography) cannot load — so the benchmark builds the same
template with the architecture switched, into .aws-sam/bench-build."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

import yaml

from local.template import ROOT, load_template

BENCH_BUILD = ROOT / ".aws-sam" / "bench-build"
TOOLS_BIN = ROOT / ".venv-tools" / "bin"


def machine_architecture() -> str:
    return "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


def build_for_this_machine() -> Path:
    arch = machine_architecture()
    template = load_template()
    template["Globals"]["Function"]["Architectures"] = [arch]
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["CompatibleArchitectures"] = [arch]
            resource.setdefault("Metadata", {})["BuildArchitecture"] = arch
    temp = ROOT / f".bench-template-{arch}.yaml"
    temp.write_text(yaml.safe_dump(template, sort_keys=False))
    python313 = os.environ.get("PYTHON313") or shutil.which("python3.13") or ""
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    if python313:
        env["PATH"] = f"{Path(python313).parent}:{env['PATH']}"
    try:
        subprocess.run(  # noqa: S603
            [str(TOOLS_BIN / "sam"), "build", "--template-file", temp.name, "--build-dir", str(BENCH_BUILD)],
            cwd=ROOT,
            check=True,
            env=env,
            capture_output=True,
        )
    finally:
        temp.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603
        [
            python313 or "python3",
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(BENCH_BUILD),
        ],
        check=True,
    )
    return BENCH_BUILD
