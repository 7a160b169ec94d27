"""Fixtures for every tier. Tiers: unit (no AWS), integration (handlers + moto in-process),
template (static checks), e2e (the local stack over HTTP), browser (Chromium through the pages)."""

import os

import pytest

# No test may reach a real AWS account: fixed fake credentials, and no profile from the machine.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """e2e and browser tests share one local stack: keep them on one xdist worker."""
    for item in items:
        path = str(item.path)
        if "/tests/e2e/" in path or "/tests/browser/" in path:
            item.add_marker(pytest.mark.xdist_group("local_stack"))


@pytest.fixture(scope="session")
def local_stack():  # type: ignore[no-untyped-def]
    """The local stack over real HTTP (what `make run` starts), once per test session and worker."""
    from tests.support.local_stack import LocalStackProcess

    stack = LocalStackProcess().start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Headless Chromium (the system's, installed by `make chromium`) driven by Playwright."""
    import shutil

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "chromium is not installed: run `make chromium`"
    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, local_stack):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) on the local stack."""
    context = browser.new_context(base_url=local_stack.url)
    pg = context.new_page()
    yield pg
    context.close()
