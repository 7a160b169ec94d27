"""ContactsTable access (template: ContactsTable). The only Info site module that talks to DynamoDB.

One partition per contact:

    pk=CONTACT#<id>  sk=CONTACT          the contact                      get by id (consistent read when sending)
    pk=CONTACT#<id>  sk=SEND#<send id>   one nurture send: sent | skipped get by id: a redelivered message is not resent
    pk=CONTACT#<id>  sk=QUOTE#<send id>  one quote request per email      conditional put: a second submit creates nothing
    pk=CONTACT#<id>  sk=QUOTE_ALERT#<send id>  its alert: sending -> sent    claimed by the alert mailer (portal_common.sent_once)

Writes are staged on a portal_common.outbox Transaction, so each commits with its CRM event.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.dynamo import from_item, to_item
from portal_common.errors import ServiceUnavailable
from portal_common.settings import Settings, load_settings

from .contacts import Contact, ContactUpsert
from .errors import AlreadyUnsubscribed, ContactNotFound, QuoteAlreadyReceived, SendAlreadyRecorded
from .nurture import SendRecord
from .quotes import QuoteForm, QuoteRequest

if TYPE_CHECKING:  # only staged on; importing it would make every reader need OUTBOX_TABLE
    from portal_common.outbox import Transaction

CONTACT = "CONTACT"


class ContactsSettings(Settings):
    contacts_table: str


def _table() -> str:
    return load_settings(ContactsSettings).contacts_table


def _key(contact_id: str, sk: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": sk}


def _get(contact_id: str, sk: str, consistent: bool) -> dict[str, Any] | None:
    try:
        answer = aws.client("dynamodb").get_item(
            TableName=_table(),
            Key={k: {"S": v} for k, v in _key(contact_id, sk).items()},
            ConsistentRead=consistent,
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in (
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
        ):
            raise ServiceUnavailable() from exc
        raise
    item = answer.get("Item")
    if item is None:
        return None
    return from_item({k: v for k, v in item.items() if k not in ("pk", "sk")})


# -- contacts ---------------------------------------------------------------------------------
def get_contact(contact_id: str, *, consistent: bool = True) -> Contact | None:
    item = _get(contact_id, CONTACT, consistent)
    return Contact.model_validate(item) if item else None


def require_contact(contact_id: str, *, consistent: bool = True) -> Contact:
    contact = get_contact(contact_id, consistent=consistent)
    if contact is None:
        raise ContactNotFound("We could not find your details. They may have been removed at your request.")
    return contact


def _set_fields(fields: dict[str, Any]) -> tuple[list[str], list[str], dict[str, str], dict[str, Any]]:
    sets, removes, names, values = [], [], {}, {}
    for n, (field, value) in enumerate(fields.items()):
        names[f"#f{n}"] = field
        if value is None:
            removes.append(f"#f{n}")
        else:
            sets.append(f"#f{n} = :v{n}")
            values[f":v{n}"] = value
    return sets, removes, names, values


def stage_upsert(tx: Transaction, contact_id: str, data: ContactUpsert, now: datetime) -> None:
    """Create or update a contact from the CRM; never touches the unsubscribed flag but to default it."""
    fields = {**data.model_dump(mode="json"), "id": contact_id, "updated_at": now.isoformat()}
    sets, removes, names, values = _set_fields(fields)
    sets += ["created_at = if_not_exists(created_at, :now)", "unsubscribed = if_not_exists(unsubscribed, :false)"]
    values.update({":now": now.isoformat(), ":false": False})
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    tx.update(_table(), _key(contact_id, CONTACT), expression, names=names, values=values)


def stage_unsubscribe(tx: Transaction, contact_id: str, now: datetime) -> None:
    tx.update(
        _table(),
        _key(contact_id, CONTACT),
        "SET unsubscribed = :true, unsubscribed_at = :now, updated_at = :now",
        condition="attribute_exists(pk) AND (attribute_not_exists(unsubscribed) OR unsubscribed <> :true)",
        values={":true": True, ":now": now.isoformat()},
        on_conflict=AlreadyUnsubscribed(),
    )


def stage_contact_details(tx: Transaction, contact_id: str, form: QuoteForm, now: datetime) -> None:
    """What the contact corrected on the quote form (name, email, phone, company)."""
    fields = {
        **form.model_dump(mode="json", include={"name", "email", "phone", "company"}),
        "updated_at": now.isoformat(),
    }
    sets, removes, names, values = _set_fields(fields)
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    tx.update(
        _table(),
        _key(contact_id, CONTACT),
        expression,
        condition="attribute_exists(pk)",
        names=names,
        values=values,
        on_conflict=ContactNotFound("We could not find your details. They may have been removed at your request."),
    )


# -- nurture sends ----------------------------------------------------------------------------
def get_send(contact_id: str, send_id: str) -> SendRecord | None:
    item = _get(contact_id, f"SEND#{send_id}", consistent=True)
    return SendRecord.model_validate(item) if item else None


def claim_send(record: SendRecord) -> bool:
    """Store the send as ``sending`` before its email goes; False if it is stored already."""
    try:
        aws.client("dynamodb").put_item(
            TableName=_table(),
            Item=_send_item(record),
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release_send(contact_id: str, send_id: str) -> None:
    """The email failed: forget the claim, so the message's next delivery sends it (a send recorded
    meanwhile by a concurrent delivery stays)."""
    try:
        aws.client("dynamodb").delete_item(
            TableName=_table(),
            Key={k: {"S": v} for k, v in _key(contact_id, f"SEND#{send_id}").items()},
            ConditionExpression="#status = :sending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":sending": {"S": "sending"}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def stage_send(tx: Transaction, record: SendRecord) -> None:
    """The send's outcome: a new record, or the claim of its email (``sending``) completed."""
    tx.put(
        _table(),
        {**_key(record.contact_id, f"SEND#{record.send_id}"), **record.model_dump(mode="json")},
        condition="attribute_not_exists(pk) OR #status = :sending",
        names={"#status": "status"},
        values={":sending": "sending"},
        on_conflict=SendAlreadyRecorded(),
    )


def _send_item(record: SendRecord) -> dict[str, Any]:
    doc = {**_key(record.contact_id, f"SEND#{record.send_id}"), **record.model_dump(mode="json")}
    return to_item(doc)


# -- quote requests ---------------------------------------------------------------------------
def get_quote(contact_id: str, key: str) -> QuoteRequest | None:
    item = _get(contact_id, f"QUOTE#{key}", consistent=True)
    return QuoteRequest.model_validate(item) if item else None


def stage_quote(tx: Transaction, quote: QuoteRequest) -> None:
    tx.put(
        _table(),
        {**_key(quote.contact_id, f"QUOTE#{quote.key}"), **quote.model_dump(mode="json")},
        unique="pk",
        on_conflict=QuoteAlreadyReceived(),
    )


def quote_alert_claim(contact_id: str, key: str) -> tuple[str, dict[str, Any]]:
    """Where the sending of a quote request's alert is claimed (portal_common.sent_once): the table
    and the key of its claim item."""
    return _table(), {k: {"S": v} for k, v in _key(contact_id, f"QUOTE_ALERT#{key}").items()}
