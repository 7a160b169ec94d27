"""The Info site as one Chalice app, the cold-start peer of functions/infosite/: contacts the CRM
nurtures, the nurture emails (queued, then sent from SQS), and the two pages the emails link to
(unsubscribe, quote form; function URLs for us, routes of the one REST API in Chalice's idiom)."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

import boto3
from botocore.exceptions import ClientError
from chalice import Chalice, Response
from chalicelib import outbox, signing, web
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.sent_once import send_once
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

app = Chalice(app_name="infosite")
web.use_templates_of("infosite")
DDB = boto3.client("dynamodb")
SQS = boto3.client("sqs")
SES = boto3.client("sesv2")
SECRETS = boto3.client("secretsmanager")
web.answer_errors(app)
JSON = ["application/json"]
FORMS = ["application/x-www-form-urlencoded", "application/json", "multipart/form-data"]
ContactId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]


def env(name: str) -> str:
    return os.environ[name]


def ring() -> signing.KeyRing:
    return signing.key_ring(SECRETS, env("LINK_SIGNING_SECRET_ARN"))


def blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9][0-9 ().-]{5,38}$")]
OptionalPhone = Annotated[Phone | None, BeforeValidator(blank_is_none)]
OptionalCompany = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None, BeforeValidator(blank_is_none)
]


class ContactUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: EmailStr
    phone: OptionalPhone = None
    company: OptionalCompany = None
    kind: Literal["prospect", "customer"]
    owner: Annotated[EmailStr | None, BeforeValidator(blank_is_none)] = None


class NurtureEmailOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_id: ContactId
    campaign: Literal["Nurture P2"] = "Nurture P2"
    step: int = Field(ge=1, le=52)
    send_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")] | None = None


class QuoteForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    contact_by: Literal["email", "phone"] = "email"
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: EmailStr
    phone: OptionalPhone = Field(default=None, validate_default=True)
    company: OptionalCompany = None
    needs: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    best_time: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""

    @field_validator("phone")
    @classmethod
    def phone_when_calling(cls, phone: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("contact_by") == "phone" and not phone:
            raise ValueError("Please give a phone number so we can call you.")
        return phone


def contact_key(contact_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": sk}}


def get_item(contact_id: str, sk: str, consistent: bool = True) -> dict[str, Any] | None:
    item = DDB.get_item(
        TableName=env("CONTACTS_TABLE"), Key=contact_key(contact_id, sk), ConsistentRead=consistent
    ).get("Item")
    return {k: v for k, v in outbox.plain(item).items() if k not in ("pk", "sk")} if item else None


def require_contact(contact_id: str, consistent: bool = True) -> dict[str, Any]:
    contact = get_item(contact_id, "CONTACT", consistent)
    if contact is None:
        raise NotFound("We could not find your details. They may have been removed at your request.")
    return contact


def masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def set_fields(fields: dict[str, Any]) -> tuple[list[str], list[str], dict[str, str], dict[str, Any]]:
    sets, removes, names, values = [], [], {}, {}
    for n, (name, value) in enumerate(fields.items()):
        names[f"#f{n}"] = name
        if value is None:
            removes.append(f"#f{n}")
        else:
            sets.append(f"#f{n} = :v{n}")
            values[f":v{n}"] = value
    return sets, removes, names, values


def send_email(to: str, template: str, context: dict[str, Any], headers: dict[str, str] | None = None) -> str:
    msg = EmailMessage()
    msg["Subject"] = web.render(f"emails/{template}.subject.txt", **context).strip()
    msg["From"], msg["To"] = env("MAIL_FROM"), to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(web.render(f"emails/{template}.txt", **context))
    msg.add_alternative(web.render(f"emails/{template}.html", **context), subtype="html")
    answer = SES.send_email(
        FromEmailAddress=env("MAIL_FROM"),
        Destination={"ToAddresses": [to]},
        Content={"Raw": {"Data": msg.as_bytes()}},
        ConfigurationSetName=env("MAIL_CONFIGURATION_SET"),
    )
    return str(answer["MessageId"])


# -- the CRM's routes ----------------------------------------------------------------------------
@app.route("/crm/contacts/{contact_id}", methods=["PUT"], content_types=JSON)
def upsert_contact(contact_id: str) -> Response:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", contact_id):
        raise ValidationFailed("Not a contact id.")
    data = web.parse(ContactUpsert, web.read_json(app.current_request))
    at = datetime.now(UTC).isoformat()
    sets, removes, names, values = set_fields({**data.model_dump(mode="json"), "id": contact_id, "updated_at": at})
    sets += ["created_at = if_not_exists(created_at, :now)", "unsubscribed = if_not_exists(unsubscribed, :false)"]
    values.update({":now": at, ":false": False})
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    crm = {"kind": "crm", "label": "CRM"}
    outbox.commit(
        DDB,
        [
            outbox.update(
                env("CONTACTS_TABLE"),
                {"pk": f"CONTACT#{contact_id}", "sk": "CONTACT"},
                expression,
                names=names,
                values=values,
            )
        ],
        [
            outbox.crm_event(
                "contact.synced",
                "infosite",
                crm,
                f"contact:{contact_id}",
                {"contact_id": contact_id, "kind": data.kind, "owner": data.owner},
            )
        ],
    )
    contact = require_contact(contact_id)
    view = {
        k: contact.get(k)
        for k in ("id", "name", "email", "phone", "company", "kind", "owner", "unsubscribed", "unsubscribed_at")
    }
    return web.json_response(view)


@app.route("/crm/nurture-emails", methods=["POST"], content_types=JSON)
def queue_nurture_email() -> Response:
    order = web.parse(NurtureEmailOrder, web.read_json(app.current_request))
    require_contact(order.contact_id, consistent=False)
    message = {**order.model_dump(exclude_none=True), "send_id": order.send_id or uuid.uuid4().hex}
    SQS.send_message(
        QueueUrl=env("NURTURE_QUEUE_URL"),
        MessageBody=json.dumps(message),
        MessageAttributes={"campaign": {"DataType": "String", "StringValue": order.campaign}},
    )
    return web.json_response({**message, "status": "queued"}, 202)


# -- the pages the emails link to ----------------------------------------------------------------
def link_subject(token: str, purpose: str, next_step: str) -> str:
    return signing.verify_link(ring(), token[:2048], purpose, next_step)


@app.route("/info/unsubscribe", methods=["GET"])
def unsubscribe_page() -> Response:
    request = app.current_request
    token = web.query(request, "token")
    contact = require_contact(
        link_subject(token, "unsubscribe", "Use the link in our most recent email."), consistent=False
    )
    view = {"masked_email": masked(contact["email"]), "unsubscribed": bool(contact.get("unsubscribed"))}
    csrf_token, csrf_cookie = signing.issue_csrf(ring(), web.cookie(request, "csrf"))
    return web.page(
        "infosite/unsubscribe_confirm.html",
        200,
        [csrf_cookie] if csrf_cookie else None,
        view=view,
        token=token,
        csrf_token=csrf_token,
    )


@app.route("/info/unsubscribe", methods=["POST"], content_types=FORMS)
def unsubscribe() -> Response:
    request = app.current_request
    token = web.query(request, "token")
    body = request.raw_body or b""
    one_click = ("List-Unsubscribe", "One-Click") in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    if not one_click:
        web.read_form(request, ring)
    contact_id = link_subject(token, "unsubscribe", "Use the link in our most recent email.")
    contact = require_contact(contact_id)
    changed = False
    if not contact.get("unsubscribed"):
        at = datetime.now(UTC).isoformat()
        actor = {**web.actor(request, "contact", contact_id, "info site")}
        try:
            outbox.commit(
                DDB,
                [
                    outbox.update(
                        env("CONTACTS_TABLE"),
                        {"pk": f"CONTACT#{contact_id}", "sk": "CONTACT"},
                        "SET unsubscribed = :true, unsubscribed_at = :now, updated_at = :now",
                        "attribute_exists(pk) AND (attribute_not_exists(unsubscribed) OR unsubscribed <> :true)",
                        values={":true": True, ":now": at},
                    )
                ],
                [
                    outbox.crm_event(
                        "contact.unsubscribed",
                        "infosite",
                        actor,
                        f"contact:{contact_id}",
                        {
                            "contact_id": contact_id,
                            "method": "one-click" if one_click else "page",
                            "unsubscribed_at": at,
                        },
                    ),
                    outbox.activity("infosite", actor, "unsubscribed", f"contact:{contact_id}", "contact", contact_id),
                ],
                {0: Conflict("already")},
            )
            changed = True
        except Conflict:
            changed = False
    if one_click:
        return Response(
            body="You are unsubscribed from our promotional emails.\n",
            status_code=200,
            headers={**web.SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8"},
        )
    return web.page("infosite/unsubscribed.html", result={"masked_email": masked(contact["email"]), "changed": changed})


def quote_link(token: str) -> tuple[str, str]:
    subject = link_subject(token, "quote", "Quote links work for 90 days. Reply to the email that brought you here.")
    contact_id, sep, key = subject.partition(":")
    if not sep:
        raise ValidationFailed("This link is not valid here.")
    return contact_id, key


def quote_form_page(
    request: Any, token: str, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    csrf_token, csrf_cookie = signing.issue_csrf(ring(), web.cookie(request, "csrf"))
    return web.page(
        "infosite/quote_form.html",
        status,
        [csrf_cookie] if csrf_cookie else None,
        token=token,
        values=values,
        errors=errors,
        csrf_token=csrf_token,
    )


@app.route("/info/quote", methods=["GET"])
def quote_form() -> Response:
    request = app.current_request
    token = web.query(request, "token")
    contact_id, key = quote_link(token)
    contact = require_contact(contact_id, consistent=False)
    existing = get_item(contact_id, f"QUOTE#{key}")
    if existing is not None:
        return web.page("infosite/quote_thanks.html", receipt={**existing, "already_received": True})
    values = {
        "name": contact["name"],
        "email": contact["email"],
        "phone": contact.get("phone") or "",
        "company": contact.get("company") or "",
        "needs": "",
        "contact_by": "email",
        "best_time": "",
    }
    return quote_form_page(request, token, values, {})


@app.route("/info/quote", methods=["POST"], content_types=FORMS)
def send_quote() -> Response:
    request = app.current_request
    token = web.query(request, "token")
    fields = web.read_form(request, ring)
    form, errors = web.validate(QuoteForm, fields)
    if form is None:
        quote_link(token)
        return quote_form_page(request, token, fields, errors, 422)
    contact_id, key = quote_link(token)
    contact = require_contact(contact_id)
    existing = get_item(contact_id, f"QUOTE#{key}")
    if existing is not None:
        return web.page("infosite/quote_thanks.html", receipt={**existing, "already_received": True})
    record = "opportunity" if contact["kind"] == "customer" else "lead"
    recipients = (
        [contact["owner"]]
        if contact.get("owner")
        else [a.strip() for a in env("QUOTE_ALERT_RECIPIENTS").split(",") if a.strip()]
    )
    at = datetime.now(UTC).isoformat()
    quote = {
        "contact_id": contact_id,
        "key": key,
        "record": record,
        "needs": form.needs,
        "contact_by": form.contact_by,
        "best_time": form.best_time,
        "assigned_to": recipients,
        "submitted_at": at,
    }
    details = form.model_dump(mode="json", include={"name", "email", "phone", "company"})
    sets, removes, names, values = set_fields({**details, "updated_at": at})
    table, actor = env("CONTACTS_TABLE"), web.actor(request, "contact", contact_id, "info site")
    subject = f"contact:{contact_id}"
    outbox.commit(
        DDB,
        [
            outbox.update(
                table,
                {"pk": f"CONTACT#{contact_id}", "sk": "CONTACT"},
                "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else ""),
                "attribute_exists(pk)",
                names=names,
                values=values,
            ),
            outbox.put(
                table, {"pk": f"CONTACT#{contact_id}", "sk": f"QUOTE#{key}", **quote}, "attribute_not_exists(pk)"
            ),
        ],
        [
            outbox.crm_event(
                f"{record}.created_from_quote",
                "infosite",
                actor,
                subject,
                {
                    "record": record,
                    "quote_key": key,
                    "contact": {"id": contact_id, "kind": contact["kind"], "owner": contact.get("owner"), **details},
                    "request": {"needs": form.needs, "contact_by": form.contact_by, "best_time": form.best_time},
                    "assigned_to": recipients,
                },
            ),
            outbox.crm_event("contact.updated", "infosite", actor, subject, {"contact_id": contact_id, **details}),
            outbox.activity("infosite", actor, "requested_quote", subject, record, key),
        ],
        {0: NotFound("We could not find your details."), 1: Conflict("received already")},
    )
    receipt = {
        "record": record,
        "contact_by": form.contact_by,
        "best_time": form.best_time,
        "by_account_manager": bool(contact.get("owner")),
        "already_received": False,
    }
    if web.wants_json(request):
        return web.json_response(receipt)
    return web.page("infosite/quote_thanks.html", receipt=receipt)


@app.on_dynamodb_record(stream_arn=os.environ.get("OUTBOX_STREAM_ARN", "outbox-stream"), batch_size=10)
def send_quote_alert(event: Any) -> dict[str, Any]:
    """Each quote's created_from_quote outbox event: the alert email, once (claimed first); a failed
    record is reported back (partial batch)."""
    failures = []
    for record in event:
        image = record.new_image or {}
        if image.get("type", {}).get("S") not in ("lead.created_from_quote", "opportunity.created_from_quote"):
            continue
        data = json.loads(image["event"]["S"])["data"]
        contact = data["contact"]
        key = contact_key(contact["id"], f"QUOTE_ALERT#{data['quote_key']}")
        context = {
            "contact": contact,
            "quote": data["request"],
            "record": data["record"],
            "is_owner": bool(contact["owner"]),
        }

        def alert(context: dict[str, Any] = context, to_list: list[str] = data["assigned_to"]) -> None:
            for to in to_list:
                send_email(to, "quote_alert", context, {"Reply-To": context["contact"]["email"]})

        if not send_once(DDB, env("CONTACTS_TABLE"), key, alert):
            failures.append({"itemIdentifier": record.sequence_number})
    return {"batchItemFailures": failures}


# -- SQS: the nurture sender ---------------------------------------------------------------------
class NurtureSendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    send_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    contact_id: ContactId
    campaign: Literal["Nurture P2"] = "Nurture P2"
    step: int = Field(ge=1, le=52)


def send_one(request: NurtureSendRequest) -> str:
    if get_item(request.contact_id, f"SEND#{request.send_id}") is not None:
        return "duplicate"
    contact = require_contact(request.contact_id)
    base = request.model_dump()
    sender = {"kind": "system", "id": "nurture-sender", "label": "Info site"}
    if contact.get("unsubscribed"):
        record, event_type = {**base, "status": "skipped", "reason": "unsubscribed"}, "nurture.skipped"
    else:
        unsubscribe = signing.sign_link(ring(), "unsubscribe", contact["id"], 365 * 24 * 3600)
        quote = signing.sign_link(ring(), "quote", f"{contact['id']}:{request.send_id}", 90 * 24 * 3600)
        unsubscribe_url = f"{env('UNSUBSCRIBE_URL')}?{urlencode({'token': unsubscribe})}"
        context = {
            "name": contact["name"],
            "company": contact.get("company"),
            "is_customer": contact["kind"] == "customer",
            "step": request.step,
            "quote_url": f"{env('QUOTE_URL')}?{urlencode({'token': quote})}",
            "unsubscribe_url": unsubscribe_url,
        }
        headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        message_id = send_email(contact["email"], "nurture_p2", context, headers)
        record, event_type = {**base, "status": "sent", "message_id": message_id}, "nurture.sent"
    record["at"] = datetime.now(UTC).isoformat()
    try:
        outbox.commit(
            DDB,
            [
                outbox.put(
                    env("CONTACTS_TABLE"),
                    {"pk": f"CONTACT#{request.contact_id}", "sk": f"SEND#{request.send_id}", **record},
                    "attribute_not_exists(pk)",
                )
            ],
            [outbox.crm_event(event_type, "infosite", sender, f"contact:{request.contact_id}", record)],
            {0: Conflict("recorded")},
        )
    except Conflict:
        return "duplicate"
    return record["status"]


@app.on_sqs_message(queue=os.environ.get("NURTURE_QUEUE_NAME", "nurture"), batch_size=10)
def send_nurture_email(event: Any) -> dict[str, Any]:
    """One nurture email per message; a failed message is reported back (partial batch response)."""
    failures = []
    for record in event:
        try:
            send_one(NurtureSendRequest.model_validate_json(record.body))
        except (NotFound, ValueError, ClientError):
            app.log.exception("nurture message failed")
            failures.append({"itemIdentifier": record.to_dict()["messageId"]})
    return {"batchItemFailures": failures}
