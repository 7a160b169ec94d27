"""The local stack as a newcomer meets it: every route answering over HTTP, tools pages, OpenAPI."""

from tests.support.local_stack import LocalStackProcess


def test_a_crm_route_answers_over_http(local_stack: LocalStackProcess) -> None:
    with local_stack.client() as http:
        answer = http.get("/crm/health", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "stage": "dev"}


def test_the_home_page_lists_the_local_tools(local_stack: LocalStackProcess) -> None:
    with local_stack.client() as http:
        home = http.get("/")
    assert home.status_code == 200
    for link in ("/_local/mailbox", "/_local/crm-log", "/_local/console", "/openapi.json"):
        assert link in home.text


def test_openapi_describes_every_http_route(local_stack: LocalStackProcess) -> None:
    with local_stack.client() as http:
        document = http.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "get" in document["paths"]["/crm/health"]
    schema = document["paths"]["/crm/health"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Health"}


def test_resources_come_from_the_template(local_stack: LocalStackProcess) -> None:
    # Given the physical names the stack recorded for the template's tables
    tables = set(local_stack.aws("dynamodb").list_tables()["TableNames"])
    # Then every AWS::DynamoDB::Table of the template exists, and nothing else
    from local.template import Stack

    expected = {f"portals-local-{lid}" for lid in Stack.from_file().of_type("AWS::DynamoDB::Table")}
    assert tables == expected


def test_an_unknown_address_is_a_friendly_404_page_or_json(local_stack: LocalStackProcess) -> None:
    # When a browser and an API client ask for addresses no route has
    with local_stack.client() as http:
        page = http.get("/partners/no-such-page", headers={"Accept": "text/html"})
        api = http.post("/crm/no-such-thing", headers={"Accept": "application/json"})
    # Then the API's $default route answers: a page for the browser, JSON for the client
    assert page.status_code == 404 and "There is nothing at this address." in page.text
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_a_trailing_slash_is_another_path_as_on_api_gateway_and_is_sent_to_the_page(
    local_stack: LocalStackProcess,
) -> None:
    # Given the route GET /partners (the home page): an HTTP API matches paths exactly, so
    # /partners/ does not reach it; the $default route sends it on to /partners
    with local_stack.client() as http:
        exact = http.get("/partners", headers={"Accept": "text/html"})
        slashed = http.get("/partners/", headers={"Accept": "text/html"})
    assert exact.status_code == 303 and exact.headers["location"].startswith("/partners/sign-in")
    assert slashed.status_code == 308 and slashed.headers["location"] == "/partners"


def test_the_local_tour_page_is_still_at_the_root(local_stack: LocalStackProcess) -> None:
    with local_stack.client() as http:
        root = http.get("/", headers={"Accept": "text/html"})
    assert root.status_code == 200 and "/_local/console" in root.text
