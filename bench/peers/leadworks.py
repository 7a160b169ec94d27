"""Leadworks as one Chalice app, the cold-start peer of functions/leadworks/: the same AWS calls per
route as our functions, the same pydantic constraints, Jinja2 pages."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import secrets
import time
import unicodedata
import uuid
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import getaddresses, parsedate_to_datetime
from typing import Annotated, Any

import boto3
from botocore.exceptions import ClientError
from chalice import Chalice, Response
from chalicelib import auth, outbox, photos, signing, web
from chalicelib.errors import BadRequest, Conflict, NotFound, PortalError, ValidationFailed
from chalicelib.models import Email, IntakeFields, Phone, intake_of
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

app = Chalice(app_name="leadworks")
web.use_templates_of("leadworks")
DDB = boto3.client("dynamodb")
S3 = boto3.client("s3")
SECRETS = boto3.client("secretsmanager")
COGNITO = boto3.client("cognito-idp")
PORTAL = auth.Portal("leadworks", "advertiser", "Leadworks", "custom:advertiser_id", "your account manager")
CLIENTS = auth.Clients(DDB, COGNITO, SECRETS)
app.register_blueprint(auth.auth_blueprint(PORTAL, CLIENTS))
web.answer_errors(app)
JSON = ["application/json"]
FORMS = ["application/x-www-form-urlencoded", "application/json"]
PAGE_SIZE = 25
MAX_ROWS = 2000
COLUMNS = tuple(IntakeFields.model_fields)
ALIASES = {
    "customer": "customer_name",
    "name": "customer_name",
    "e_mail": "email",
    "mail": "email",
    "address": "street",
    "zip_code": "zip",
    "problem": "problem_description",
    "description": "problem_description",
}


def env(name: str) -> str:
    return os.environ[name]


def ring() -> signing.KeyRing:
    return signing.key_ring(SECRETS, env("LINK_SIGNING_SECRET_ARN"))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AdvertiserRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advertiser_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{3,40}$")] | None = None
    company_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    email: Email
    phone: Phone | None = None
    access_start: date | None = None
    access_end: date | None = None
    temporary_password: Annotated[str, StringConstraints(min_length=10, max_length=128)] | None = None

    @model_validator(mode="after")
    def _rules(self) -> AdvertiserRegistration:
        if self.access_start and self.access_end and self.access_end < self.access_start:
            raise ValueError("access_end is before access_start")
        return self


def email_key(raw: str) -> str:
    """NFKC, trim, case-fold, NFKC, one valid address: the lead's key."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).strip().casefold())
    if not text or len(text) > 254:
        raise ValidationFailed("The email address is not valid.", field_errors={"email": "Enter an email address"})
    try:
        parsed = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed("The email address is not valid.", field_errors={"email": str(exc)}) from None
    return f"{text.rpartition('@')[0]}@{parsed.domain}"


# -- advertisers (AdvertisersTable) --------------------------------------------------------------
def get_advertiser(advertiser_id: str) -> dict[str, Any]:
    item = DDB.get_item(
        TableName=env("ADVERTISERS_TABLE"),
        Key={"pk": {"S": f"ADVERTISER#{advertiser_id}"}, "sk": {"S": "PROFILE"}},
        ConsistentRead=True,
    ).get("Item")
    if item is None:
        raise NotFound("There is no such advertiser.")
    return outbox.plain(item)


def advertiser_event(kind: str, advertiser: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in advertiser.items() if k not in ("pk", "sk", "username")}
    return outbox.crm_event(f"advertiser.{kind}", "leadworks", actor, f"advertiser:{advertiser['advertiser_id']}", data)


@app.route("/crm/advertisers", methods=["POST"], content_types=JSON)
def register_advertiser() -> Response:
    request = web.parse(AdvertiserRegistration, web.read_json(app.current_request))
    advertiser_id = request.advertiser_id or f"adv-{secrets.token_hex(5)}"
    try:
        get_advertiser(advertiser_id)
        raise Conflict(f"An advertiser with the id {advertiser_id} is registered already.")
    except NotFound:
        pass
    access = {
        n: d.isoformat()
        for n, d in (("custom:access_start", request.access_start), ("custom:access_end", request.access_end))
        if d
    }
    attributes = [
        {"Name": "email", "Value": request.email},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "custom:advertiser_id", "Value": advertiser_id},
    ]
    attributes += [{"Name": k, "Value": v} for k, v in access.items()]
    try:
        user = COGNITO.admin_create_user(
            UserPoolId=env("USER_POOL_ID"),
            Username=request.email,
            UserAttributes=attributes,
            DesiredDeliveryMediums=["EMAIL"],
            **({"TemporaryPassword": request.temporary_password} if request.temporary_password else {}),
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("UsernameExistsException", "AliasExistsException"):
            raise Conflict("A portal user with this email address already exists.") from exc
        raise
    at = iso(datetime.now(UTC))
    advertiser = {
        **request.model_dump(mode="json", exclude={"temporary_password", "access_start", "access_end"}),
        "advertiser_id": advertiser_id,
        "status": "active",
        "access_start": access.get("custom:access_start"),
        "access_end": access.get("custom:access_end"),
        "username": user["User"]["Username"],
        "created_at": at,
        "updated_at": at,
    }
    try:
        outbox.commit(
            DDB,
            [
                outbox.put(
                    env("ADVERTISERS_TABLE"),
                    {"pk": f"ADVERTISER#{advertiser_id}", "sk": "PROFILE", **advertiser},
                    "attribute_not_exists(pk)",
                )
            ],
            [advertiser_event("registered", advertiser, web.crm_actor(app.current_request))],
            {0: Conflict(f"An advertiser with the id {advertiser_id} is registered already.")},
        )
    except BaseException:
        COGNITO.admin_delete_user(UserPoolId=env("USER_POOL_ID"), Username=advertiser["username"])
        raise
    return web.json_response(advertiser, 201)


@app.route("/crm/advertisers/{advertiser_id}/deactivate", methods=["POST"], content_types=JSON)
def deactivate_advertiser(advertiser_id: str) -> Response:
    advertiser = get_advertiser(advertiser_id)
    if advertiser["status"] == "inactive":
        return web.json_response(advertiser)
    username = advertiser.get("username") or advertiser["email"]
    COGNITO.admin_disable_user(UserPoolId=env("USER_POOL_ID"), Username=username)
    COGNITO.admin_user_global_sign_out(UserPoolId=env("USER_POOL_ID"), Username=username)
    user = COGNITO.admin_get_user(UserPoolId=env("USER_POOL_ID"), Username=username)
    sub = next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub"), None)
    for item in DDB.query(
        TableName=env("SESSIONS_TABLE"),
        IndexName="ByUser",
        KeyConditionExpression="user_sub = :s",
        ExpressionAttributeValues={":s": {"S": sub or "-"}},
    ).get("Items", []):
        DDB.delete_item(TableName=env("SESSIONS_TABLE"), Key={"pk": item["pk"]})
    inactive = {**advertiser, "status": "inactive", "updated_at": iso(datetime.now(UTC))}
    outbox.commit(
        DDB,
        [
            outbox.update(
                env("ADVERTISERS_TABLE"),
                {"pk": f"ADVERTISER#{advertiser_id}", "sk": "PROFILE"},
                "SET #status = :inactive, updated_at = :at",
                "attribute_exists(pk)",
                names={"#status": "status"},
                values={":inactive": "inactive", ":at": inactive["updated_at"]},
            )
        ],
        [advertiser_event("deactivated", inactive, web.crm_actor(app.current_request))],
    )
    return web.json_response({k: v for k, v in inactive.items() if k not in ("pk", "sk")})


# -- leads (IntakeTable, MailIndexTable) ---------------------------------------------------------
def advertiser(request: Any) -> web.Identity:
    return web.identity(request, "advertiser")


def advertiser_actor(request: Any, who: web.Identity) -> dict[str, Any]:
    return web.actor(request, "advertiser", who.subject_id, "external user")


def lead_page(template: str, who: web.Identity, status: int = 200, **context: Any) -> Response:
    return auth.signed_in_page(app.current_request, ring(), template, status, identity=who, portal=PORTAL, **context)


def messages_for(address: str) -> list[dict[str, Any]]:
    request: dict[str, Any] = {
        "TableName": env("MAIL_INDEX_TABLE"),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"ADDRESS#{address}"}},
        "ConsistentRead": True,
    }
    found: list[dict[str, Any]] = []
    while True:
        page = DDB.query(**request)
        found += [outbox.plain(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def lead_items(lead: dict[str, Any], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table, key = env("INTAKE_TABLE"), lead["email_key"]
    items = [
        outbox.put(
            table,
            {**lead, "pk": f"LEAD#{key}", "sk": "RECORD", "owner_key": f"ADVERTISER#{lead['advertiser_id']}"},
            "attribute_not_exists(pk)",
        ),
        outbox.put(
            table,
            {
                "pk": f"LEADID#{lead['lead_id']}",
                "sk": "RECORD",
                "lead_id": lead["lead_id"],
                "email_key": key,
                "advertiser_id": lead["advertiser_id"],
                "lead_created_at": lead["created_at"],
            },
            "attribute_not_exists(pk)",
        ),
    ]
    for message in found[:40]:
        doc = {k: v for k, v in message.items() if k not in ("pk", "sk", "address")}
        items.append(outbox.put(table, {**doc, "pk": f"LEAD#{key}", "sk": f"MAIL#{message['sk']}"}))
    return items


def lead_events(
    lead: dict[str, Any], found: list[dict[str, Any]], actor: dict[str, Any], touch: bool
) -> list[dict[str, Any]]:
    data = {
        **lead["fields"],
        "lead_id": lead["lead_id"],
        "source": lead["source"],
        "advertiser_id": lead["advertiser_id"],
        "email_key": lead["email_key"],
        "photos": lead["photos"],
        "correspondence": [{"message_key": m["message_key"], "subject": m.get("subject", "")} for m in found[:40]],
    }
    events = [outbox.crm_event("lead.created", "leadworks", actor, f"lead:{lead['lead_id']}", data)]
    if touch:
        events.append(
            outbox.activity("leadworks", actor, "created", f"lead:{lead['lead_id']}", "lead", lead["lead_id"])
        )
    return events


def owner_of(key: str) -> dict[str, Any] | None:
    item = DDB.get_item(
        TableName=env("INTAKE_TABLE"),
        Key={"pk": {"S": f"LEAD#{key}"}, "sk": {"S": "RECORD"}},
        ProjectionExpression="lead_id, advertiser_id, email_key, draft_id",
        ConsistentRead=True,
    ).get("Item")
    return outbox.plain(item) if item else None


def lead_form(
    who: web.Identity,
    draft_id: str | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    form_url = f"{web.origin(app.current_request)}/leadworks/leads/new"
    return lead_page(
        "intake/form.html",
        who,
        status,
        title="New lead",
        values=values,
        errors=errors,
        action="/leadworks/leads",
        **photos.intake_photos(S3, env("IMAGES_BUCKET"), f"advertiser-{who.subject_id}", draft_id, form_url),
        **extra,
    )


@app.route("/leadworks/leads/new", methods=["GET"])
def new_lead() -> Response:
    who = advertiser(app.current_request)
    return lead_form(who, web.query(app.current_request, "draft")[:64] or None, {}, {})


@app.route("/leadworks/leads", methods=["POST"], content_types=FORMS)
def create_lead() -> Response:
    request = app.current_request
    who = advertiser(request)
    fields = web.read_form(request, ring, who.session_id)
    draft = photos.draft(f"advertiser-{who.subject_id}", fields.get("draft")) if fields.get("draft") else None
    intake, errors = web.validate(IntakeFields, intake_of(fields))
    if intake is None:
        if web.wants_json(request):
            raise ValidationFailed("Some fields need attention.", field_errors=errors)
        return lead_form(who, draft.draft_id if draft else None, fields, errors, 422)
    key = email_key(intake.email)
    found = messages_for(key)
    lead = {
        "lead_id": uuid.uuid4().hex,
        "advertiser_id": who.subject_id,
        "email_key": key,
        "label": "external user",
        "source": "leadworks_form",
        "fields": intake.model_dump(),
        "created_at": iso(datetime.now(UTC)),
        "created_by": who.email,
        "draft_id": draft.draft_id if draft else None,
        "photos": photos.verified(S3, env("IMAGES_BUCKET"), draft) if draft else [],
    }
    try:
        outbox.commit(
            DDB,
            lead_items(lead, found),
            lead_events(lead, found, advertiser_actor(request, who), True),
            {0: Conflict("exists")},
        )
    except Conflict:
        owner = owner_of(key)
        own = owner["lead_id"] if owner and owner["advertiser_id"] == who.subject_id else None
        if web.wants_json(request):
            raise Conflict(
                "A lead with this email address already exists.",
                field_errors={"email": "A lead with this email address already exists"},
            ) from None
        return lead_form(who, fields.get("draft"), fields, {"email": "exists"}, 409, duplicate=True, own_lead_id=own)
    known = {m["message_key"] for m in found}
    newer = [m for m in messages_for(key) if m["message_key"] not in known]
    if newer:
        attach(lead, newer)
    if web.wants_json(request):
        return web.json_response(lead, 201)
    return web.redirect(f"/leadworks/leads/{lead['lead_id']}?created=1")


def attach(owner: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    table = env("INTAKE_TABLE")
    items = [outbox.check(table, {"pk": f"LEAD#{owner['email_key']}", "sk": "RECORD"}, "attribute_exists(pk)")]
    for message in messages:
        doc = {k: v for k, v in message.items() if k not in ("pk", "sk", "address")}
        items.append(
            outbox.put(
                table,
                {**doc, "pk": f"LEAD#{owner['email_key']}", "sk": f"MAIL#{message['sk']}"},
                "attribute_not_exists(sk)",
            )
        )
    system = {"kind": "system", "id": "mail-index"}
    event = outbox.crm_event(
        "lead.correspondence_attached",
        "leadworks",
        system,
        f"lead:{owner['lead_id']}",
        {"lead_id": owner["lead_id"], "messages": [m["message_key"] for m in messages]},
    )
    with contextlib.suppress(Conflict):  # attached meanwhile (by the indexer, or the lead's own creation)
        outbox.commit(DDB, items, [event], dict.fromkeys(range(1, len(items)), Conflict("attached")))


def pointer(lead_id: str) -> dict[str, Any] | None:
    item = DDB.get_item(
        TableName=env("INTAKE_TABLE"),
        Key={"pk": {"S": f"LEADID#{lead_id}"}, "sk": {"S": "RECORD"}},
        ConsistentRead=True,
    ).get("Item")
    return outbox.plain(item) if item else None


@app.route("/leadworks/leads", methods=["GET"])
def list_leads() -> Response:
    request = app.current_request
    who = advertiser(request)
    after = web.query(request, "after")
    if not re.fullmatch(r"[0-9a-f]{0,64}", after):
        raise ValidationFailed("Not a lead id.")
    query: dict[str, Any] = {
        "TableName": env("INTAKE_TABLE"),
        "IndexName": "ByOwner",
        "KeyConditionExpression": "owner_key = :owner",
        "ExpressionAttributeValues": {":owner": {"S": f"ADVERTISER#{who.subject_id}"}},
        "ScanIndexForward": False,
        "Limit": PAGE_SIZE,
    }
    start = pointer(after) if after else None
    if start is not None and start["advertiser_id"] == who.subject_id:
        query["ExclusiveStartKey"] = outbox.dynamo(
            {
                "pk": f"LEAD#{start['email_key']}",
                "sk": "RECORD",
                "owner_key": f"ADVERTISER#{who.subject_id}",
                "created_at": start["lead_created_at"],
            }
        )
    answer = DDB.query(**query)
    leads = [outbox.plain(i) for i in answer.get("Items", [])]
    rows = [
        {
            "lead_id": lead["lead_id"],
            "email": lead["fields"]["email"],
            "customer_name": lead["fields"]["customer_name"],
            "city": lead["fields"]["city"],
            "state": lead["fields"]["state"],
            "zip": lead["fields"]["zip"],
            "source": lead["source"],
            "created_at": lead["created_at"],
        }
        for lead in leads
    ]
    page = {"leads": rows, "next": rows[-1]["lead_id"] if "LastEvaluatedKey" in answer and rows else None}
    outbox.emit(
        DDB,
        outbox.activity(
            "leadworks", advertiser_actor(request, who), "viewed", f"advertiser:{who.subject_id}", "lead_list"
        ),
    )
    if web.wants_json(request):
        return web.json_response(page)
    page = {**page, "leads": [web.dated(row, "created_at") for row in rows]}
    return lead_page("leads/list.html", who, title="Leads", page=page, first_page=not after)


@app.route("/leadworks/leads/{lead_id}", methods=["GET"])
def view_lead(lead_id: str) -> Response:
    request = app.current_request
    who = advertiser(request)
    found = pointer(lead_id[:100])
    if found is None or found["advertiser_id"] != who.subject_id:
        raise NotFound("There is no such lead.")
    query: dict[str, Any] = {
        "TableName": env("INTAKE_TABLE"),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"LEAD#{found['email_key']}"}},
        "ConsistentRead": True,
    }
    lead, messages = None, []
    while True:
        page = DDB.query(**query)
        for item in page.get("Items", []):
            doc = outbox.plain(item)
            if doc["sk"] == "RECORD":
                lead = doc
            elif doc["sk"].startswith("MAIL#"):
                messages.append(doc)
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    if lead is None or lead["advertiser_id"] != who.subject_id:
        raise NotFound("There is no such lead.")
    outbox.emit(
        DDB, outbox.activity("leadworks", advertiser_actor(request, who), "viewed", f"lead:{lead_id}", "lead", lead_id)
    )
    detail = {"lead": lead, "correspondence": messages}
    if web.wants_json(request):
        return web.json_response(detail)
    urls = [photos.view_url(S3, env("IMAGES_BUCKET"), p["key"], p["content_type"]) for p in lead["photos"]]
    detail = {
        "lead": web.dated(lead, "created_at"),
        "correspondence": [web.dated(m, "received_at") for m in messages],
    }
    return lead_page(
        "leads/detail.html",
        who,
        title="Lead",
        detail=detail,
        photos=urls,
        created=web.query(request, "created") == "1",
    )


def upload_context() -> dict[str, Any]:
    columns = [
        {"name": c, "label": c.replace("_", " ").capitalize(), "required": IntakeFields.model_fields[c].is_required()}
        for c in COLUMNS
    ]
    return {"title": "Bulk upload", "columns": columns, "max_rows": MAX_ROWS, "max_mb": 4}


@app.route("/leadworks/leads/upload", methods=["GET"])
def upload_form() -> Response:
    who = advertiser(app.current_request)
    return lead_page("leads/upload.html", who, **upload_context())


def uploaded_csv(request: Any, who: web.Identity) -> bytes:
    data = request.raw_body or b""  # Chalice decodes a base64 body (a file) itself
    content_type = web.header(request, "content-type")
    if content_type.split(";")[0].strip() in ("text/csv", "application/csv"):
        return data
    document = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + data)
    parts = {p.get_param("name", header="content-disposition"): p for p in document.iter_parts()}
    token = parts.get("csrf_token")
    signing.verify_csrf(
        ring(),
        web.cookie(request, web.csrf_name(request)),
        token.get_payload(decode=True).decode() if token else None,
        who.session_id,
    )
    file = parts.get("file")
    if file is None:
        raise ValidationFailed("Choose a CSV file to upload.", field_errors={"file": "Choose a CSV file to upload"})
    return file.get_payload(decode=True)


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [re.sub(r"[^a-z0-9]+", "_", h.strip().lower()).strip("_") for h in next(reader)]
    names = [h if h in COLUMNS else ALIASES.get(h, "") for h in header]
    missing = [c for c in COLUMNS if IntakeFields.model_fields[c].is_required() and c not in names]
    if missing:
        raise ValidationFailed("The file's header row lacks columns: " + ", ".join(missing) + ".")
    rows = []
    for number, cells in enumerate(reader, start=2):
        if any(c.strip() for c in cells):
            rows.append((number, {n: c for n, c in zip(names, cells, strict=False) if n}))
    if len(rows) > MAX_ROWS:
        raise BadRequest(f"The file has more than {MAX_ROWS:,} leads.")
    return rows


@app.route(
    "/leadworks/leads/upload", methods=["POST"], content_types=["text/csv", "application/csv", "multipart/form-data"]
)
def upload_leads() -> Response:
    request = app.current_request
    who = advertiser(request)
    try:
        rows = read_rows(uploaded_csv(request, who))
    except PortalError as exc:
        if web.wants_json(request):
            raise
        return lead_page("leads/upload.html", who, exc.status, problem=exc.message, **upload_context())
    upload_id, actor = uuid.uuid4().hex, advertiser_actor(request, who)
    results: dict[int, dict[str, Any]] = {}
    candidates: list[tuple[int, IntakeFields, str]] = []
    first: dict[str, int] = {}
    for number, values in rows:
        fields, errors = web.validate(IntakeFields, intake_of(values))
        email = values.get("email", "").strip()
        if fields is None:
            results[number] = {"row": number, "email": email, "result": "invalid", "reason": "; ".join(errors.values())}
            continue
        try:
            key = email_key(fields.email)
        except ValidationFailed as exc:
            results[number] = {"row": number, "email": email, "result": "invalid", "reason": exc.field_errors["email"]}
            continue
        if key in first:
            results[number] = {
                "row": number,
                "email": email,
                "result": "duplicate",
                "reason": f"Same as row {first[key]}",
            }
            continue
        first[key] = number
        candidates.append((number, fields, key))
    existing: set[str] = set()
    keys = sorted({c[2] for c in candidates})
    for start in range(0, len(keys), 100):
        request_items = {
            env("INTAKE_TABLE"): {
                "Keys": [{"pk": {"S": f"LEAD#{k}"}, "sk": {"S": "RECORD"}} for k in keys[start : start + 100]],
                "ProjectionExpression": "email_key",
                "ConsistentRead": True,
            }
        }
        while request_items:
            answer = DDB.batch_get_item(RequestItems=request_items)
            existing |= {i["email_key"]["S"] for i in answer.get("Responses", {}).get(env("INTAKE_TABLE"), [])}
            request_items = answer.get("UnprocessedKeys") or {}
            if request_items:
                time.sleep(0.05)
    batch: list[dict[str, Any]] = []
    pending: list[tuple[int, dict[str, Any]]] = []
    for number, fields, key in candidates:
        if key in existing:
            results[number] = {"row": number, "email": fields.email, "result": "duplicate", "reason": "exists"}
            continue
        found = messages_for(key)
        lead = {
            "lead_id": uuid.uuid4().hex,
            "advertiser_id": who.subject_id,
            "email_key": key,
            "label": "external user",
            "source": "leadworks_upload",
            "fields": fields.model_dump(),
            "photos": [],
            "upload_id": upload_id,
            "created_at": iso(datetime.now(UTC)),
            "created_by": who.email,
        }
        items = lead_items(lead, found) + [outbox.event_item(e) for e in lead_events(lead, found, actor, False)]
        if len(batch) + len(items) > 100:
            DDB.transact_write_items(TransactItems=batch)
            batch = []
        batch += items
        pending.append((number, lead))
    if batch:
        DDB.transact_write_items(TransactItems=batch)
    for number, lead in pending:
        results[number] = {
            "row": number,
            "email": lead["fields"]["email"],
            "result": "created",
            "lead_id": lead["lead_id"],
        }
    ordered = [results[n] for n in sorted(results)]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("row", "email", "result", "lead_id", "reason"))
    for r in ordered:
        writer.writerow([r["row"], r["email"], r["result"], r.get("lead_id", ""), r.get("reason", "")])
    S3.put_object(
        Bucket=env("LEAD_UPLOADS_BUCKET"),
        Key=f"reports/{who.subject_id}/{upload_id}.csv",
        Body=("\ufeff" + out.getvalue()).encode(),
        ContentType="text/csv; charset=utf-8",
    )
    outbox.emit(
        DDB, outbox.activity("leadworks", actor, "created", f"lead_upload:{upload_id}", "lead_upload", upload_id)
    )
    counts = {
        k: sum(1 for r in ordered if r["result"] == k) for k in ("created", "duplicate", "invalid", "not_processed")
    }
    report = {
        "upload_id": upload_id,
        "summary": {"rows": len(ordered), **counts},
        "rows": ordered,
        "report_url": f"/leadworks/leads/upload/{upload_id}/report.csv",
    }
    if web.wants_json(request):
        return web.json_response(report)
    return lead_page("leads/upload.html", who, report=report, **upload_context())


@app.route("/leadworks/leads/upload/{upload_id}/report.csv", methods=["GET"])
def upload_report(upload_id: str) -> Response:
    request = app.current_request
    who = advertiser(request)
    key = f"reports/{who.subject_id}/{upload_id[:64]}.csv"
    try:
        data = S3.get_object(Bucket=env("LEAD_UPLOADS_BUCKET"), Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "AccessDenied"):
            raise NotFound("There is no such report (reports are kept for 30 days).") from exc
        raise
    outbox.emit(
        DDB,
        outbox.activity(
            "leadworks",
            advertiser_actor(request, who),
            "downloaded",
            f"lead_upload:{upload_id}",
            "lead_upload_report",
            upload_id,
        ),
    )
    headers = {
        "Content-Type": "text/csv; charset=utf-8",
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="lead-upload-{upload_id}.csv"',
    }
    return Response(body=data.decode("utf-8"), status_code=200, headers=headers)


# -- event sources -------------------------------------------------------------------------------
@app.lambda_function(name="authorizer")
def authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return auth.authorize(PORTAL, CLIENTS, event)


@app.on_s3_event(
    bucket=os.environ.get("MAIL_ARCHIVE_BUCKET", "mail-archive"), events=["s3:ObjectCreated:*"], prefix="inbound/"
)
def index_archived_mail(event: Any) -> dict[str, Any]:
    """Index an archived message under each of its addresses, and attach it to their leads."""
    if not event.key.startswith("inbound/"):
        return {"indexed": []}
    try:
        raw = S3.get_object(Bucket=event.bucket, Key=event.key, Range="bytes=0-1048575")["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "InvalidRange"):
            return {"indexed": []}
        raise
    msg = message_from_bytes(raw)
    found = getaddresses([str(v) for name in ("from", "to", "cc") for v in msg.get_all(name) or []])
    addresses = sorted({a.strip().lower() for _, a in found if "@" in a})
    try:
        received = parsedate_to_datetime(str(msg.get("date"))).astimezone(UTC)
    except (TypeError, ValueError):
        received = datetime.now(UTC)
    message = {
        "message_key": event.key,
        "bucket": event.bucket,
        "received_at": iso(received),
        "subject": " ".join(str(msg.get("subject", "")).split())[:300],
        "from_address": addresses[0] if addresses else "",
        "message_id": msg.get("message-id"),
    }
    sk = f"{message['received_at']}#{event.key}"
    requests = [
        {"PutRequest": {"Item": outbox.dynamo({**message, "pk": f"ADDRESS#{a}", "sk": sk, "address": a})}}
        for a in addresses
    ]
    for start in range(0, len(requests), 25):
        pending = {env("MAIL_INDEX_TABLE"): requests[start : start + 25]}
        while pending:
            pending = DDB.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    if addresses:
        answer = DDB.batch_get_item(
            RequestItems={
                env("INTAKE_TABLE"): {
                    "Keys": [{"pk": {"S": f"LEAD#{a}"}, "sk": {"S": "RECORD"}} for a in addresses[:100]],
                    "ProjectionExpression": "lead_id, advertiser_id, email_key",
                    "ConsistentRead": True,
                }
            }
        )
        for item in answer.get("Responses", {}).get(env("INTAKE_TABLE"), []):
            attach(outbox.plain(item), [{**message, "sk": sk}])
    return {"indexed": [event.key]}
