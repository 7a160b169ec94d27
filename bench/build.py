"""The artifact the cold-start benchmark runs: `make build`'s recipe (sam build, then local/artifact.py:
templates compiled ahead, botocore's data slimmed, unchecked-hash .pyc), for this machine's
architecture. The template deploys arm64; this machine may be x86_64, where arm64 wheels (pydantic-core, cryptography) cannot load — so the benchmark builds the same
template with the architecture switched, into .aws-sam/bench-build."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from local.artifact import finish
from local.template import ROOT, load_template

BENCH_BUILD = ROOT / ".aws-sam" / "bench-build"
TOOLS_BIN = ROOT / ".venv-tools" / "bin"
PEER_DEPS = ROOT / ".local" / "peer-deps"
# What the Chalice peers (bench/peers/) import, at uv.lock's versions: Chalice's runtime, and the same
# libraries our functions use for the same work (pages, validation, tokens, receipts, thumbnails).
PEER_PACKAGES = (
    "chalice",
    "jinja2",
    "markupsafe",
    "pydantic",
    "pydantic-core",
    "typing-extensions",
    "typing-inspection",
    "annotated-types",
    "email-validator",
    "dnspython",
    "idna",
    "pyjwt",
    "cryptography",
    "cffi",
    "pycparser",
    "fpdf2",
    "pillow",
    "fonttools",
    "defusedxml",
)


def machine_architecture() -> str:
    return "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


def _python313() -> str:
    """The Lambda runtime's Python, as the Makefile finds it (PYTHON313), or the one running us
    (the app's virtual environment is 3.13); never a pyenv shim, which may not resolve."""
    if os.environ.get("PYTHON313"):
        return os.environ["PYTHON313"]
    if sys.version_info[:2] == (3, 13):
        return str(Path(sys.executable).resolve())
    raise SystemExit("Python 3.13 is needed to build the benchmark artifact (PYTHON313=/path/to/python3.13)")


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
    python313 = _python313()
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
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
    finish(BENCH_BUILD, python313)
    return BENCH_BUILD


def peer_requirements() -> list[str]:
    locked = {p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    return [f"{name}=={locked[name]}" for name in PEER_PACKAGES]


def install_peer_deps() -> Path:
    """The Chalice peers' packages in .local/peer-deps (once; again when uv.lock's versions change).

    Installed without their dependencies' dependencies (the list is complete for what the peers
    import; Chalice's CLI needs are not, as Chalice itself ships only chalice/app.py to Lambda) and
    compiled to .pyc, as the functions' artifact is."""
    requirements = peer_requirements()
    python = str(ROOT / ".venv" / "bin" / "python")
    # the peers themselves, compiled as the functions' artifact is (a first run would compile them)
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "bench" / "peers")], check=True)  # noqa: S603
    stamp = PEER_DEPS / ".requirements"
    if stamp.exists() and stamp.read_text() == "\n".join(requirements):
        return PEER_DEPS
    shutil.rmtree(PEER_DEPS, ignore_errors=True)
    uv = os.environ.get("UV") or str(ROOT / ".local" / "uv" / "bin" / "uv")
    subprocess.run(  # noqa: S603
        [uv, "pip", "install", "--quiet", "--no-deps", "--target", str(PEER_DEPS), "--python", python, *requirements],
        check=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", str(PEER_DEPS)], check=True)  # noqa: S603
    stamp.write_text("\n".join(requirements))
    return PEER_DEPS
