"""Templates compiled ahead of time (`make build`) render exactly as their sources do."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.template import ROOT

PORTAL_TEMPLATES = sorted(ROOT.glob("functions/*/templates"))


@pytest.fixture
def page_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from portal_common.settings import load_settings
    from portal_common.web import pages

    for name, value in {"STAGE": "dev", "COMPANY_NAME": "Northfield", "POWERTOOLS_SERVICE_NAME": "t"}.items():
        monkeypatch.setenv(name, value)
    load_settings.cache_clear()
    monkeypatch.setattr(pages, "_template_dirs", [])
    pages.environment.cache_clear()
    yield
    load_settings.cache_clear()
    pages.environment.cache_clear()


def _render_all(folders: list[Path], names: list[str]) -> dict[str, str]:
    """Every template through pages.environment(), with an empty context: what renders is kept,
    what fails is kept as its exception type (the two loaders must fail alike too)."""
    from portal_common.web import pages

    for folder in reversed(folders):
        pages.add_template_dir(folder)
    out = {}
    for name in names:
        try:
            out[name] = pages.render(name)
        except Exception as exc:  # an empty context cannot satisfy every template
            out[name] = f"raised {type(exc).__name__}"
    return out


@pytest.mark.parametrize("portal", PORTAL_TEMPLATES, ids=lambda p: p.parent.name)
def test_a_compiled_folder_renders_what_its_sources_render(
    portal: Path, page_settings: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal_common.web import pages
    from portal_common.web.compiled_templates import COMPILED, compile_folder

    # Given the portal's and the shared templates, as the source tree has them
    sources = [portal, pages.SHARED_TEMPLATES]
    names = sorted({str(p.relative_to(f)) for f in sources for p in f.rglob("*") if p.suffix in (".html", ".txt")})
    from_source = _render_all(sources, names)
    # When copies of both folders are compiled ahead of time, as `make build` does
    copies = []
    for folder in sources:
        copy = tmp_path / folder.parent.name / "templates"
        shutil.copytree(folder, copy)
        assert compile_folder(copy) > 0
        copies.append(copy)
    monkeypatch.setattr(pages, "SHARED_TEMPLATES", copies[1])
    monkeypatch.setattr(pages, "_template_dirs", [])
    pages.environment.cache_clear()
    # (and the sources are gone, so only the compiled modules can answer)
    for copy in copies:
        for template in [p for p in copy.rglob("*") if p.suffix in (".html", ".txt") and COMPILED not in p.parts]:
            template.unlink()
    from_compiled = _render_all(copies[:1], names)
    # Then every template renders (or fails) exactly as its source did
    assert from_compiled == from_source
    assert sum(not text.startswith("raised ") for text in from_source.values()) > 0


def test_forgetting_function_modules_passes_over_a_dead_module_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jinja2's ModuleLoader registers its package in sys.modules as a weak proxy; between its loader
    going away and the proxy's removal, touching it raises ReferenceError."""
    import gc
    import sys
    import weakref

    from local.inprocess import _forget_function_modules, module_file

    class Gone:
        pass

    # Given a dead weak proxy in sys.modules
    referent = Gone()
    monkeypatch.setitem(sys.modules, "_jinja2_module_templates_gone", weakref.proxy(referent))
    del referent
    gc.collect()
    # When the harness forgets the functions' modules, it passes over it
    assert module_file(sys.modules["_jinja2_module_templates_gone"]) == ""
    _forget_function_modules()
