"""Pages: Jinja2 with autoescape, one base layout, the company's name and logo from settings.

Jinja2 is imported when the first page or email is rendered, not with this module: every function
imports it (error answers), and those that answer only JSON never load Jinja2 at all. In the built
artifact the templates come compiled ahead of time (portal_common.web.compiled_templates)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie

from portal_common.settings import PortalSettings, load_settings

if TYPE_CHECKING:
    from jinja2 import Environment

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https: http://127.0.0.1:*; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-src 'self' https: http://127.0.0.1:*; "
        "form-action 'self' https: http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

SHARED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_template_dirs: list[Path] = []


def add_template_dir(path: Path) -> None:
    """A portal's own templates (searched before the shared ones). The folder added last is searched
    first, also when it was added before (tests load several portals' functions in one process)."""
    if _template_dirs[:1] != [path]:
        if path in _template_dirs:
            _template_dirs.remove(path)
        _template_dirs.insert(0, path)
        environment.cache_clear()


@cache
def environment() -> Environment:
    from jinja2 import ChoiceLoader

    from portal_common.web.compiled_templates import loader_for, new_environment

    folders = [*_template_dirs, SHARED_TEMPLATES]
    env = new_environment(ChoiceLoader([loader_for(folder) for folder in folders]))
    settings = load_settings(PortalSettings)
    env.globals.update(company_name=settings.company_name, logo_url=settings.logo_url)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def page(
    template: str,
    status: int = 200,
    *,
    cookies: list[Cookie] | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=render(template, **context),
        headers={**SECURITY_HEADERS, **(headers or {})},
        cookies=cookies or [],
    )


def redirect(location: str, *, cookies: list[Cookie] | None = None, status: int = 303) -> Response:
    return Response(
        status_code=status,
        body="",
        headers={"Location": location, "Cache-Control": "no-store"},
        cookies=cookies or [],
    )
