"""Page and email templates compiled to Python ahead of time, by `make build`.

Jinja2 turns a template into Python source and compiles it the first time the template is loaded:
on a cold start that is ~3 ms per template, ~15-25 ms for a page (its layout, includes and macros).
`make build` does it once instead: it compiles every template folder the artifact ships into
``<folder>/_compiled`` (Jinja2's own ``Environment.compile_templates``), and ``compileall`` then
gives those modules their ``.pyc`` like any other shipped code. At run time a folder with
``_compiled`` is read through Jinja2's ``ModuleLoader``; one without (the source tree: local stack,
tests) through ``FileSystemLoader``, compiling on first use as before.

The generated code depends on the lexer options (trim_blocks, lstrip_blocks) and the autoescape
choice, so both sides make their environment with ``new_environment()``; and on the Jinja2 version,
so the build compiles with the Jinja2 the artifact's layer ships (it runs this module from there).

    python -m portal_common.web.compiled_templates .aws-sam/build
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment

COMPILED = "_compiled"
TEMPLATE_SUFFIXES = (".html", ".txt")


def new_environment(loader: BaseLoader) -> Environment:
    """A Jinja2 environment with the portals' options: what the build compiles with, what runs."""
    from jinja2 import Environment, select_autoescape

    return Environment(
        loader=loader,
        # HTML everywhere except plain-text email parts and subjects (*.txt): "O'Brien", not "O&#39;Brien"
        autoescape=select_autoescape(disabled_extensions=("txt",), default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def loader_for(folder: Path) -> BaseLoader:
    """The folder's templates: compiled ahead of time when the build did, else from their source."""
    from jinja2 import FileSystemLoader, ModuleLoader

    compiled = folder / COMPILED
    return ModuleLoader(str(compiled)) if compiled.is_dir() else FileSystemLoader(str(folder))


def _is_template(name: str) -> bool:
    return name.endswith(TEMPLATE_SUFFIXES) and not name.startswith(f"{COMPILED}/")


def compile_folder(folder: Path) -> int:
    """Compile every template in ``folder`` into ``folder/_compiled``; a template that does not
    compile fails the build. Returns how many were compiled."""
    from jinja2 import FileSystemLoader

    target = folder / COMPILED
    env = new_environment(FileSystemLoader(str(folder)))
    env.compile_templates(str(target), zip=None, filter_func=_is_template, ignore_errors=False)
    return len(list(target.glob("*.py")))


def template_folders(build_dir: Path) -> list[Path]:
    """The template folders an artifact ships: each function's ``templates`` and those of the
    layer's ``portal_common`` (third-party packages' folders are not ours to compile)."""
    folders = [p for p in build_dir.glob("*/templates") if p.is_dir()]
    folders += [p for p in build_dir.glob("*/python/portal_common/**/templates") if p.is_dir()]
    return sorted(folders)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        sys.stderr.write("usage: python -m portal_common.web.compiled_templates BUILD_DIR\n")
        return 2
    folders = template_folders(Path(argv[0]))
    count = sum(compile_folder(folder) for folder in folders)
    sys.stderr.write(f"compiled {count} templates in {len(folders)} folders\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
