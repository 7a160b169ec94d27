"""The API's $default route (SiteNotFoundFunction): what no route matches."""

import json

from local.inprocess import LambdaHarness, sample_event


def _request(path: str, method: str = "GET", accept: str = "text/html", query: str = "") -> dict:
    event = sample_event("site/not_found.json", rawPath=path, rawQueryString=query)
    event["requestContext"]["http"].update(path=path, method=method)
    event["headers"]["accept"] = accept
    return event


def test_a_page_address_with_a_trailing_slash_is_sent_to_the_page(lambdas: LambdaHarness) -> None:
    # When a browser asks for /partners/ (an HTTP API matches /partners only)
    answer = lambdas.invoke("SiteNotFoundFunction", _request("/partners/"))
    # Then it is sent to /partners, for good
    assert answer["statusCode"] == 308 and answer["headers"]["Location"] == "/partners"
    # And the query goes along, and a deeper page too
    deeper = lambdas.invoke("SiteNotFoundFunction", _request("/partners/proposals/", query="owner=Ann"))
    assert deeper["headers"]["Location"] == "/partners/proposals?owner=Ann"


def test_anything_else_is_a_friendly_404_page_or_json(lambdas: LambdaHarness) -> None:
    # When a browser asks for an address that is not there
    page = lambdas.invoke("SiteNotFoundFunction", _request("/partnres"))
    # Then it gets a page saying so, with the portals' addresses
    assert page["statusCode"] == 404
    assert page["headers"]["Content-Type"].startswith("text/html")
    assert "There is nothing at this address." in page["body"] and "/leadworks" in page["body"]
    # And an API client gets JSON with a correlation id
    api = lambdas.invoke("SiteNotFoundFunction", _request("/crm/nothing", accept="application/json"))
    assert api["statusCode"] == 404
    assert json.loads(api["body"])["error"]["code"] == "not_found"
    # And neither a form post to a slashed address nor the site's root is redirected
    for method, path in (
        ("POST", "/partners/rph/"),
        ("GET", "/"),
        ("GET", "//evil.example/"),
        ("GET", "/\\evil.example/"),
    ):
        answer = lambdas.invoke("SiteNotFoundFunction", _request(path, method=method))
        assert answer["statusCode"] == 404, (method, path)
