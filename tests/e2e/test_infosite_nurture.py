"""Info site over real HTTP on the local stack: nurture emails in the mailbox with the RFC 8058
headers, unsubscribing (GET changes nothing, POST does, the next send is skipped), one-click
unsubscribe, a poison message in the dead-letter queue, and one quote request per email."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.local_stack import LocalStackProcess

ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}


# -- helpers -----------------------------------------------------------------------------------
def crm(stack: LocalStackProcess, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    with stack.client() as http:
        answer = http.request(method, path, json=body, headers={"Accept": "application/json"})
    assert answer.status_code < 300, answer.text
    return answer


def new_contact(stack: LocalStackProcess, kind: str = "prospect", owner: str | None = None) -> str:
    contact_id = f"e2e-{uuid.uuid4().hex[:12]}"
    body = {"name": f"Pat {contact_id}", "email": f"{contact_id}@example.com", "kind": kind, "owner": owner}
    crm(stack, "PUT", f"/crm/contacts/{contact_id}", body)
    return contact_id


def queue_nurture(stack: LocalStackProcess, contact_id: str, step: int = 1) -> str:
    answer = crm(
        stack, "POST", "/crm/nurture-emails", {"contact_id": contact_id, "campaign": "Nurture P2", "step": step}
    )
    assert answer.status_code == 202
    return str(answer.json()["send_id"])


def mail_to(stack: LocalStackProcess, address: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in stack.mailbox() if address in m["destinations"]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def header(message: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in message["headers"] if k.lower() == name.lower()), None)


def links_of(message: dict[str, Any]) -> tuple[str, str]:
    unsubscribe = (header(message, "List-Unsubscribe") or "").strip("<>")
    quote = re.search(r'href="([^"]*/fn/QuoteFunction/\?token=[^"]+)"', message["html"])
    assert unsubscribe and quote is not None
    return unsubscribe, quote.group(1).replace("&amp;", "&")


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def contact_item(stack: LocalStackProcess, contact_id: str, sk: str = "CONTACT") -> dict[str, Any] | None:
    return (
        stack.aws("dynamodb")
        .get_item(
            TableName=stack.info["refs"]["ContactsTable"],
            Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        .get("Item")
    )


def crm_events(stack: LocalStackProcess, contact_id: str, event_type: str) -> list[dict[str, Any]]:
    return [
        e["event"]
        for e in stack.crm_log()
        if e["event"].get("subject") == f"contact:{contact_id}" and e["event"].get("type") == event_type
    ]


def csrf_field(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def form_headers(page: httpx.Response) -> dict[str, str]:
    """What a browser sends with the page's form: its __Host-csrf cookie (httpx keeps Secure cookies
    off plain http; browsers treat 127.0.0.1 as secure and send them)."""
    cookie = next(c for c in page.headers.get_list("set-cookie") if c.startswith("__Host-csrf="))
    return {"Accept": "text/html", "Cookie": cookie.split(";", 1)[0]}


def tampered(url: str) -> str:
    return url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")


# -- nurture email ----------------------------------------------------------------------------
def test_a_nurture_email_in_the_mailbox_carries_both_rfc_8058_headers(local_stack: LocalStackProcess) -> None:
    # Given a prospect the CRM nurtures
    contact_id = new_contact(local_stack)
    # When the CRM queues a Nurture P2 email
    queue_nurture(local_stack, contact_id)
    # Then the mailbox has it, with List-Unsubscribe (the unsubscribe function URL) and one-click
    (message,) = mail_to(local_stack, f"{contact_id}@example.com")
    assert header(message, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    unsubscribe_url = (header(message, "List-Unsubscribe") or "").strip("<>")
    assert unsubscribe_url.startswith(f"{local_stack.url}/fn/UnsubscribeFunction/?token=")
    # And both parts carry the unsubscribe and the quote links
    for part in (message["html"], message["text"]):
        assert "/fn/UnsubscribeFunction/?token=" in part and "/fn/QuoteFunction/?token=" in part
    # And the CRM is told it was sent
    event = local_stack.wait_for_event(
        lambda e: e.get("type") == "nurture.sent" and e.get("subject") == f"contact:{contact_id}"
    )
    assert event["data"]["campaign"] == "Nurture P2"


def test_get_changes_nothing_post_unsubscribes_and_the_next_send_is_skipped(local_stack: LocalStackProcess) -> None:
    contact_id = new_contact(local_stack)
    queue_nurture(local_stack, contact_id)
    (message,) = mail_to(local_stack, f"{contact_id}@example.com")
    unsubscribe_url, _ = links_of(message)
    with local_stack.client() as browser:
        # When the unsubscribe link is opened (as a mail scanner would, too)
        shown = browser.get(local_path(unsubscribe_url), headers={"Accept": "text/html"})
        # Then a confirmation page shows, and nothing changed
        assert shown.status_code == 200 and "Stop our promotional emails?" in shown.text
        assert contact_item(local_stack, contact_id)["unsubscribed"] == {"BOOL": False}
        # When its button is pressed (the form posts back with the page's CSRF token)
        done = browser.post(
            local_path(unsubscribe_url), data={"csrf_token": csrf_field(shown.text)}, headers=form_headers(shown)
        )
    # Then the contact is unsubscribed at once, and the CRM is told (with the activity)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert contact_item(local_stack, contact_id)["unsubscribed"] == {"BOOL": True}
    local_stack.wait_for_event(
        lambda e: e.get("type") == "contact.unsubscribed" and e.get("subject") == f"contact:{contact_id}"
    )
    activity = local_stack.wait_for_event(
        lambda e: (
            e.get("type") == "activity"
            and e.get("subject") == f"contact:{contact_id}"
            and e["data"].get("action") == "unsubscribed"
        )
    )
    assert activity["actor"]["kind"] == "contact"
    # When the CRM queues the next step
    send_id = queue_nurture(local_stack, contact_id, step=2)
    # Then it is skipped (recorded, told to the CRM) and no second email arrives
    skipped = local_stack.wait_for_event(
        lambda e: e.get("type") == "nurture.skipped" and e.get("data", {}).get("send_id") == send_id
    )
    assert skipped["data"]["reason"] == "unsubscribed"
    assert contact_item(local_stack, contact_id, f"SEND#{send_id}")["status"] == {"S": "skipped"}
    assert len(mail_to(local_stack, f"{contact_id}@example.com", count=2, timeout=2)) == 1


def test_a_get_by_a_link_scanner_sends_nothing_to_the_crm(local_stack: LocalStackProcess) -> None:
    contact_id = new_contact(local_stack)
    queue_nurture(local_stack, contact_id)
    (message,) = mail_to(local_stack, f"{contact_id}@example.com")
    unsubscribe_url, quote_url = links_of(message)
    with local_stack.client() as scanner:
        assert scanner.get(local_path(unsubscribe_url)).status_code == 200
        assert scanner.get(local_path(quote_url)).status_code == 200
    time.sleep(2)  # the relay's usual delay
    told = {e["event"]["type"] for e in local_stack.crm_log() if e["event"].get("subject") == f"contact:{contact_id}"}
    assert told == {"contact.synced", "nurture.sent"}


def test_one_click_with_a_tampered_token_is_403_and_with_a_valid_one_200_without_redirect(
    local_stack: LocalStackProcess,
) -> None:
    contact_id = new_contact(local_stack)
    queue_nurture(local_stack, contact_id)
    (message,) = mail_to(local_stack, f"{contact_id}@example.com")
    unsubscribe_url, _ = links_of(message)
    # A mail client's one-click POST: no cookies, the token in the URL
    with httpx.Client(timeout=30, follow_redirects=False) as mail_client:
        refused = mail_client.post(tampered(unsubscribe_url), content="List-Unsubscribe=One-Click", headers=ONE_CLICK)
        assert refused.status_code == 403
        assert contact_item(local_stack, contact_id)["unsubscribed"] == {"BOOL": False}
        done = mail_client.post(unsubscribe_url, content="List-Unsubscribe=One-Click", headers=ONE_CLICK)
        again = mail_client.post(unsubscribe_url, content="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert done.status_code == 200 and "location" not in done.headers
    assert again.status_code == 200
    assert contact_item(local_stack, contact_id)["unsubscribed"] == {"BOOL": True}
    local_stack.wait_for_event(
        lambda e: e.get("type") == "contact.unsubscribed" and e.get("subject") == f"contact:{contact_id}"
    )
    time.sleep(1)
    assert len(crm_events(local_stack, contact_id, "contact.unsubscribed")) == 1  # idempotent


def test_a_poison_message_goes_to_the_dead_letter_queue_and_the_rest_of_its_batch_goes_out(
    local_stack: LocalStackProcess,
) -> None:
    contact_id = new_contact(local_stack)
    sqs = local_stack.aws("sqs")
    refs = local_stack.info["refs"]
    poison = f'{{"poison": "{uuid.uuid4().hex}"'  # not even JSON
    good = f'{{"send_id": "{uuid.uuid4().hex}", "contact_id": "{contact_id}", "campaign": "Nurture P2", "step": 1}}'
    # When a batch with a poison message reaches the queue
    sqs.send_message_batch(
        QueueUrl=refs["NurtureQueue"],
        Entries=[{"Id": "poison", "MessageBody": poison}, {"Id": "good", "MessageBody": good}],
    )
    # Then the good one is sent
    assert len(mail_to(local_stack, f"{contact_id}@example.com")) == 1
    # And the poison one ends in the dead-letter queue (after maxReceiveCount receives)
    deadline, found = time.monotonic() + 60, None
    while found is None and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=refs["NurtureDeadLetterQueue"], MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            if m["Body"] == poison:
                found = m
                sqs.delete_message(QueueUrl=refs["NurtureDeadLetterQueue"], ReceiptHandle=m["ReceiptHandle"])
        time.sleep(0.5)
    assert found is not None, "the poison message did not reach the dead-letter queue"


# -- quote form -------------------------------------------------------------------------------
def test_submitting_the_quote_form_twice_creates_one_lead_and_one_alert(local_stack: LocalStackProcess) -> None:
    owner = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    contact_id = new_contact(local_stack, owner=owner)
    queue_nurture(local_stack, contact_id)
    (message,) = mail_to(local_stack, f"{contact_id}@example.com")
    _, quote_url = links_of(message)
    with local_stack.client() as browser:
        form = browser.get(local_path(quote_url), headers={"Accept": "text/html"})
        assert form.status_code == 200 and f'value="{contact_id}@example.com"' in form.text
        fields = {
            "csrf_token": csrf_field(form.text),
            "name": f"Pat {contact_id}",
            "email": f"{contact_id}@example.com",
            "phone": "+1 555 0100",
            "company": "",
            "needs": "Gutters leak at the back of the house.",
            "contact_by": "email",
            "best_time": "",
        }
        # When the form is submitted twice
        first = browser.post(local_path(quote_url), data=fields, headers=form_headers(form))
        second = browser.post(local_path(quote_url), data=fields, headers=form_headers(form))
    assert first.status_code == second.status_code == 200
    assert "What happens next" in first.text and "already received" in second.text
    # Then the CRM gets one lead, and the owner one alert
    local_stack.wait_for_event(
        lambda e: e.get("type") == "lead.created_from_quote" and e.get("subject") == f"contact:{contact_id}"
    )
    time.sleep(1.5)
    leads = crm_events(local_stack, contact_id, "lead.created_from_quote")
    assert len(leads) == 1, [(e["event_id"], e["occurred_at"], e["data"]["quote_key"]) for e in leads]
    assert len(mail_to(local_stack, owner)) == 1  # the alert mailer, from the outbox stream
    assert len(mail_to(local_stack, owner, count=2, timeout=3)) == 1
    # And the contact's phone was taken from the form
    assert contact_item(local_stack, contact_id)["phone"] == {"S": "+1 555 0100"}


def test_two_submits_at_once_create_one_lead_and_later_events_still_reach_the_crm(
    local_stack: LocalStackProcess,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    contact_id = new_contact(local_stack)
    queue_nurture(local_stack, contact_id)
    (message,) = mail_to(local_stack, f"{contact_id}@example.com")
    _, quote_url = links_of(message)
    with local_stack.client() as browser:
        form = browser.get(local_path(quote_url), headers={"Accept": "text/html"})
    fields = {
        "csrf_token": csrf_field(form.text),
        "name": f"Pat {contact_id}",
        "email": f"{contact_id}@example.com",
        "needs": "A new fence.",
        "contact_by": "email",
    }

    def submit(_: int) -> int:
        with local_stack.client() as browser:
            return browser.post(local_path(quote_url), data=fields, headers=form_headers(form)).status_code

    # When the form is sent twice at the same moment (a double click)
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(submit, range(2))) == [200, 200]
    # Then one lead reaches the CRM
    local_stack.wait_for_event(
        lambda e: e.get("type") == "lead.created_from_quote" and e.get("subject") == f"contact:{contact_id}"
    )
    # And events written after it still arrive (a cancelled transaction leaves nothing behind)
    send_id = queue_nurture(local_stack, contact_id, step=2)
    local_stack.wait_for_event(
        lambda e: e.get("type") == "nurture.sent" and e.get("data", {}).get("send_id") == send_id
    )
    assert len(crm_events(local_stack, contact_id, "lead.created_from_quote")) == 1
