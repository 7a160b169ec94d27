"""`make build`: sam build, then hash-based .pyc for every shipped .py (SAM's zips carry 1980 file
times, which make timestamp .pyc useless on Lambda)."""

import fcntl
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
