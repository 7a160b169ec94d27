"""The Partners portal as one Chalice app (Chalice's idiom: one Lambda function serves every route;
event sources get their own entry points in the same module), the cold-start peer of
functions/partners/. Each route makes the same AWS calls as our function for it, validates with the
same pydantic constraints and renders its page with Jinja2."""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import boto3
from botocore.exceptions import ClientError
from chalice import Chalice, Response
from chalicelib import auth, outbox, photos, signing, web
from chalicelib.errors import BadRequest, Conflict, NotFound, ValidationFailed
from chalicelib.models import Address, Email, IntakeFields, Line, Person, Phone, ZipCode, intake_of
from PIL import Image, ImageOps
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

app = Chalice(app_name="partners")
web.use_templates_of("partners")
DDB = boto3.client("dynamodb")
S3 = boto3.client("s3")
SES = boto3.client("sesv2")
SECRETS = boto3.client("secretsmanager")
COGNITO = boto3.client("cognito-idp")
PORTAL = auth.Portal("partners", "partner", "Partners portal", "custom:partner_id", "your partner manager")
CLIENTS = auth.Clients(DDB, COGNITO, SECRETS)
app.register_blueprint(auth.auth_blueprint(PORTAL, CLIENTS))
web.answer_errors(app)
JSON = ["application/json"]
FORMS = ["application/x-www-form-urlencoded", "application/json"]
PAGE_SIZE = 20
TABS = {"main": "Main", "products": "Products", "images": "Images gallery"}


def env(name: str) -> str:
    return os.environ[name]


def ring() -> signing.KeyRing:
    return signing.key_ring(SECRETS, env("LINK_SIGNING_SECRET_ARN"))


# -- models -------------------------------------------------------------------------------------
PartnerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{3,40}$")]
ProposalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{3,40}$")]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"), decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal("1000000"), decimal_places=3)]


class PartnerRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner_id: PartnerId | None = None
    company_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    email: Email
    phone: Phone | None = None
    zip: ZipCode
    temporary_password: Annotated[str, StringConstraints(min_length=10, max_length=128)] | None = None


class PartnerPath(BaseModel):
    partner_id: PartnerId


class PartnerChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    company_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)] | None = None
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    email: Email | None = None
    phone: Phone | None = None
    zip: ZipCode | None = None

    @model_validator(mode="after")
    def _something(self) -> PartnerChanges:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class ProductLine(BaseModel):
    product: Line
    quantity: Quantity
    unit_price: Money


class StaffMember(BaseModel):
    name: Line
    email: Email


class ProposalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proposal_id: ProposalId | None = None
    opportunity_name: Line
    account_name: Line
    account_owner: Line
    account_manager: StaffMember
    customer: Person
    contact: Person | None = None
    property_address: Address
    products: list[ProductLine] = Field(min_length=1, max_length=100)
    surveyor_notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)] = ""


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reviewed_by: Email


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reviewed_by: Email | None = None


class ImageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_type: Literal["image/jpeg", "image/png", "image/gif", "image/webp"]


class Decline(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


class ListQuery(BaseModel):
    owner: Annotated[str, Field(max_length=120)] = ""
    range: Literal["", "today", "7d", "30d", "month", "year"] = ""
    opportunity: Annotated[str, Field(max_length=120)] = ""
    cursor: Annotated[str, Field(max_length=500)] = ""


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def partner_event(
    kind: str, partner: dict[str, Any], actor: dict[str, Any], changed: list[str] | None = None
) -> dict[str, Any]:
    data = {
        k: partner.get(k) for k in ("partner_id", "company_name", "contact_name", "email", "phone", "zip", "status")
    }
    data.update(created_at=partner["created_at"], updated_at=partner["updated_at"], changed=changed or [])
    return outbox.crm_event(f"partner.{kind}", "partners", actor, f"partner:{partner['partner_id']}", data)


# -- partners (PartnersTable) --------------------------------------------------------------------
def zip_holder(zip_code: str) -> str | None:
    item = DDB.get_item(
        TableName=env("PARTNERS_TABLE"), Key={"pk": {"S": f"ZIP#{zip_code}"}, "sk": {"S": "CLAIM"}}, ConsistentRead=True
    ).get("Item")
    return item["partner_id"]["S"] if item else None


def get_partner(partner_id: str) -> dict[str, Any]:
    item = DDB.get_item(
        TableName=env("PARTNERS_TABLE"),
        Key={"pk": {"S": f"PARTNER#{partner_id}"}, "sk": {"S": "PROFILE"}},
        ConsistentRead=True,
    ).get("Item")
    if item is None:
        raise NotFound(f"There is no partner {partner_id}.")
    return outbox.plain(item)


def zip_taken(zip_code: str) -> Conflict:
    return Conflict(f"ZIP code {zip_code} already belongs to another partner.", field_errors={"zip": "taken"})


def end_sessions(username: str) -> None:
    user = COGNITO.admin_get_user(UserPoolId=env("USER_POOL_ID"), Username=username)
    sub = next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub"), None)
    if sub:
        for item in DDB.query(
            TableName=env("SESSIONS_TABLE"),
            IndexName="ByUser",
            KeyConditionExpression="user_sub = :sub",
            ExpressionAttributeValues={":sub": {"S": sub}},
        ).get("Items", []):
            DDB.delete_item(TableName=env("SESSIONS_TABLE"), Key={"pk": item["pk"]})


@app.route("/crm/partners", methods=["POST"], content_types=JSON)
def register_partner() -> Response:
    request = web.parse(PartnerRegistration, web.read_json(app.current_request))
    if zip_holder(request.zip) is not None:
        raise zip_taken(request.zip)
    partner_id = request.partner_id or f"ptn-{secrets.token_hex(5)}"
    attributes = [
        {"Name": "email", "Value": request.email},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "custom:partner_id", "Value": partner_id},
    ]
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
    partner = {
        **request.model_dump(exclude={"temporary_password"}),
        "partner_id": partner_id,
        "status": "active",
        "username": user["User"]["Username"],
        "created_at": at,
        "updated_at": at,
    }
    table = env("PARTNERS_TABLE")
    try:
        outbox.commit(
            DDB,
            [
                outbox.put(
                    table, {"pk": f"PARTNER#{partner_id}", "sk": "PROFILE", **partner}, "attribute_not_exists(pk)"
                ),
                outbox.put(
                    table,
                    {"pk": f"ZIP#{request.zip}", "sk": "CLAIM", "partner_id": partner_id, "claimed_at": at},
                    "attribute_not_exists(pk)",
                ),
            ],
            [partner_event("registered", partner, web.crm_actor(app.current_request))],
            {0: Conflict(f"Partner {partner_id} is already registered."), 1: zip_taken(request.zip)},
        )
    except BaseException:
        COGNITO.admin_delete_user(UserPoolId=env("USER_POOL_ID"), Username=partner["username"])
        raise
    return web.json_response(partner, 201)


@app.route("/crm/partners/{partner_id}", methods=["PATCH"], content_types=JSON)
def update_partner(partner_id: str) -> Response:
    web.parse(PartnerPath, {"partner_id": partner_id})
    changes = web.parse(PartnerChanges, web.read_json(app.current_request))
    before = get_partner(partner_id)
    if before["status"] != "active":
        raise Conflict("This partner is deactivated.")
    update = changes.model_dump(exclude_unset=True)
    after = {**before, **update, "updated_at": iso(datetime.now(UTC))}
    if after["zip"] != before["zip"] and zip_holder(after["zip"]) not in (None, partner_id):
        raise zip_taken(after["zip"])
    if after["email"] != before["email"]:
        COGNITO.admin_update_user_attributes(
            UserPoolId=env("USER_POOL_ID"),
            Username=before.get("username") or before["email"],
            UserAttributes=[{"Name": "email", "Value": after["email"]}, {"Name": "email_verified", "Value": "true"}],
        )
        end_sessions(before.get("username") or before["email"])
    table = env("PARTNERS_TABLE")
    items = [
        outbox.put(
            table,
            after,
            "#s = :active AND #z = :zip AND updated_at = :seen",
            names={"#s": "status", "#z": "zip"},
            values={":active": "active", ":zip": before["zip"], ":seen": before["updated_at"]},
        ),
    ]
    if after["zip"] != before["zip"]:
        items.append(
            outbox.delete(
                table, {"pk": f"ZIP#{before['zip']}", "sk": "CLAIM"}, "partner_id = :me", values={":me": partner_id}
            )
        )
        items.append(
            outbox.put(
                table,
                {
                    "pk": f"ZIP#{after['zip']}",
                    "sk": "CLAIM",
                    "partner_id": partner_id,
                    "claimed_at": after["updated_at"],
                },
                "attribute_not_exists(pk)",
            )
        )
    changed = Conflict("The partner was changed by someone else at the same time; please try again.")
    outbox.commit(
        DDB,
        items,
        [partner_event("updated", after, web.crm_actor(app.current_request), sorted(update))],
        {0: changed, 1: changed, 2: zip_taken(after["zip"])},
    )
    return web.json_response({k: v for k, v in after.items() if k not in ("pk", "sk")})


@app.route("/crm/partners/{partner_id}/deactivate", methods=["POST"], content_types=JSON)
def deactivate_partner(partner_id: str) -> Response:
    partner = get_partner(partner_id)
    if partner["status"] == "inactive":
        return web.json_response(partner)
    username = partner.get("username") or partner["email"]
    COGNITO.admin_disable_user(UserPoolId=env("USER_POOL_ID"), Username=username)
    COGNITO.admin_user_global_sign_out(UserPoolId=env("USER_POOL_ID"), Username=username)
    end_sessions(username)
    at = iso(datetime.now(UTC))
    inactive = {**partner, "status": "inactive", "updated_at": at}
    table = env("PARTNERS_TABLE")
    outbox.commit(
        DDB,
        [
            outbox.update(
                table,
                {"pk": f"PARTNER#{partner_id}", "sk": "PROFILE"},
                "SET #s = :inactive, updated_at = :at, deactivated_at = :at",
                "#s = :active",
                names={"#s": "status"},
                values={":inactive": "inactive", ":active": "active", ":at": at},
            ),
            outbox.delete(
                table, {"pk": f"ZIP#{partner['zip']}", "sk": "CLAIM"}, "partner_id = :me", values={":me": partner_id}
            ),
        ],
        [partner_event("deactivated", inactive, web.crm_actor(app.current_request))],
        {0: Conflict("The partner is already deactivated.")},
    )
    return web.json_response({k: v for k, v in inactive.items() if k not in ("pk", "sk")})


# -- proposals (ProposalsTable) ------------------------------------------------------------------
def get_proposal(proposal_id: str, consistent: bool = False) -> dict[str, Any]:
    answer = DDB.query(
        TableName=env("PROPOSALS_TABLE"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"PROPOSAL#{proposal_id}"}},
        ConsistentRead=consistent,
    )
    proposal, images = None, []
    for item in answer.get("Items", []):
        doc = outbox.plain(item)
        if doc["sk"] == "PROPOSAL":
            proposal = doc
        elif doc["sk"].startswith("IMAGE#"):
            images.append(doc)
    if proposal is None:
        raise NotFound("There is no such proposal.")
    return {**proposal, "images": images}


def visible_proposal(partner_id: str, proposal_id: str) -> dict[str, Any]:
    try:
        proposal = get_proposal(proposal_id)
    except NotFound:
        raise NotFound("There is no such proposal in your list.") from None
    if (
        proposal.get("partner_id") != partner_id
        or not proposal.get("sent_at")
        or proposal["status"] not in ("sent", "accepted", "declined")
    ):
        raise NotFound("There is no such proposal in your list.")
    return proposal


def proposal_event(kind: str, proposal: dict[str, Any], actor: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return outbox.crm_event(
        f"external_proposal.{kind}", "partners", actor, f"external_proposal:{proposal['proposal_id']}", data
    )


def routed(kind: str, proposal: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
    data = {
        "proposal_id": proposal["proposal_id"],
        "partner_id": proposal.get("partner_id"),
        "zip": proposal["zip"],
        "assignment": "assigned" if proposal.get("partner_id") else "unassigned",
    }
    return proposal_event(kind, proposal, actor, data)


@app.route("/crm/proposals", methods=["POST"], content_types=JSON)
def create_proposal() -> Response:
    request = web.parse(ProposalRequest, web.read_json(app.current_request))
    zip_code = request.property_address.zip.split("-", 1)[0]
    proposal = {
        **request.model_dump(mode="json", exclude={"proposal_id"}, exclude_none=True),
        "proposal_id": request.proposal_id or f"EP-{secrets.randbelow(10**8):08d}",
        "status": "new",
        "partner_id": zip_holder(zip_code),
        "zip": zip_code,
        "created_at": iso(datetime.now(UTC)),
    }
    item = {
        **proposal,
        "pk": f"PROPOSAL#{proposal['proposal_id']}",
        "sk": "PROPOSAL",
        "opportunity_norm": normalise(request.opportunity_name),
        "owner_norm": normalise(request.account_owner),
    }
    if proposal["partner_id"] is None:
        item["zip_status"] = "UNASSIGNED"
    outbox.commit(
        DDB,
        [outbox.put(env("PROPOSALS_TABLE"), item, "attribute_not_exists(pk)")],
        [routed("created", proposal, web.crm_actor(app.current_request))],
        {0: Conflict(f"Proposal {proposal['proposal_id']} already exists.")},
    )
    return web.json_response(proposal, 201)


@app.route("/crm/proposals/{proposal_id}/route", methods=["POST"], content_types=JSON)
def route_proposal(proposal_id: str) -> Response:
    proposal = get_proposal(proposal_id, consistent=True)
    if proposal.get("partner_id"):
        raise Conflict(f"This proposal is already assigned to partner {proposal['partner_id']}.")
    holder = zip_holder(proposal["zip"])
    if holder is None:
        raise Conflict(f"No partner holds ZIP code {proposal['zip']} yet.")
    proposal["partner_id"] = holder
    outbox.commit(
        DDB,
        [
            outbox.update(
                env("PROPOSALS_TABLE"),
                {"pk": f"PROPOSAL#{proposal_id}", "sk": "PROPOSAL"},
                "SET partner_id = :p REMOVE zip_status",
                "attribute_exists(pk) AND attribute_not_exists(partner_id)",
                values={":p": holder},
            )
        ],
        [routed("assigned", proposal, web.crm_actor(app.current_request))],
        {0: Conflict("This proposal already has a partner.")},
    )
    return web.json_response({k: v for k, v in proposal.items() if k not in ("pk", "sk")})


@app.route("/crm/proposals/{proposal_id}/images", methods=["POST"], content_types=JSON)
def upload_proposal_image(proposal_id: str) -> Response:
    request = web.parse(ImageRequest, web.read_json(app.current_request))
    get_proposal(proposal_id)
    image_id = secrets.token_hex(8)
    post = photos.upload_form(
        S3, env("IMAGES_BUCKET"), f"uploads/proposals/{proposal_id}/{image_id}", content_type=request.content_type
    )
    answer = {"image_id": image_id, "url": post["url"], "fields": post["fields"], "expires_in": 300}
    return web.json_response(answer, 201)


@app.route("/crm/proposals/{proposal_id}/review", methods=["POST"], content_types=JSON)
def review_proposal(proposal_id: str) -> Response:
    request = web.parse(ReviewRequest, web.read_json(app.current_request))
    proposal = get_proposal(proposal_id, consistent=True)
    if proposal["status"] != "new":
        return web.json_response(proposal)
    at = iso(datetime.now(UTC))
    outbox.commit(
        DDB,
        [
            outbox.update(
                env("PROPOSALS_TABLE"),
                {"pk": f"PROPOSAL#{proposal_id}", "sk": "PROPOSAL"},
                "SET #s = :reviewed, reviewed_at = :at, reviewed_by = :by",
                "#s = :new",
                names={"#s": "status"},
                values={":reviewed": "reviewed", ":new": "new", ":at": at, ":by": request.reviewed_by},
            )
        ],
        [
            proposal_event(
                "reviewed",
                proposal,
                web.crm_actor(app.current_request),
                {"proposal_id": proposal_id, "reviewed_by": request.reviewed_by},
            )
        ],
        {0: Conflict("This proposal was reviewed or sent already.")},
    )
    return web.json_response({**proposal, "status": "reviewed", "reviewed_at": at, "reviewed_by": request.reviewed_by})


@app.route("/crm/proposals/{proposal_id}/send", methods=["POST"], content_types=JSON)
def send_proposal(proposal_id: str) -> Response:
    request = web.parse(SendRequest, web.read_json(app.current_request))
    proposal = get_proposal(proposal_id, consistent=True)
    if not proposal.get("partner_id"):
        raise Conflict(f"This proposal has no partner: no partner holds ZIP code {proposal['zip']}.")
    partner = get_partner(proposal["partner_id"])
    table, key = env("PROPOSALS_TABLE"), {"pk": f"PROPOSAL#{proposal_id}", "sk": "PROPOSAL"}
    if not proposal.get("sent_at"):
        if proposal["status"] == "new" and request.reviewed_by is None:
            raise Conflict("The account manager has to review this proposal before it is sent.")
        if partner["status"] != "active":
            raise Conflict(f"Partner {partner['partner_id']} is deactivated.")
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            ":sent": "sent",
            ":at": iso(now),
            ":pk": f"PARTNER#{partner['partner_id']}",
            ":pok": f"PARTNER#{partner['partner_id']}#OWNER#{normalise(proposal['account_owner'])}",
            ":os": f"{normalise(proposal['opportunity_name'])}#{10**13 - int(now.timestamp() * 1000):013d}",
            ":partner": partner["partner_id"],
            ":reviewed": "reviewed",
        }
        expression = (
            "SET #s = :sent, sent_at = :at, partner_key = :pk, partner_owner_key = :pok, opportunity_sort = :os"
        )
        condition = "partner_id = :partner AND #s = :reviewed"
        if request.reviewed_by:
            expression += (
                ", reviewed_at = if_not_exists(reviewed_at, :at), reviewed_by = if_not_exists(reviewed_by, :by)"
            )
            values.update({":by": request.reviewed_by, ":new": "new"})
            condition = "partner_id = :partner AND #s IN (:new, :reviewed)"
        event = proposal_event(
            "sent",
            proposal,
            web.crm_actor(app.current_request),
            {"proposal_id": proposal_id, "partner_id": partner["partner_id"], "sent_at": iso(now)},
        )
        with contextlib.suppress(Conflict):  # another send won: the notice below still goes once
            outbox.commit(
                DDB,
                [
                    outbox.update(table, key, expression, condition, names={"#s": "status"}, values=values),
                    outbox.update(
                        table,
                        {"pk": f"PARTNER#{partner['partner_id']}", "sk": "OWNERS"},
                        "ADD owners :owner",
                        values={":owner": {proposal["account_owner"]}},
                    ),
                ],
                [event],
                {0: Conflict("sent already")},
            )
        proposal = get_proposal(proposal_id, consistent=True)
    sent_now = False
    if not proposal.get("notice_message_id"):
        now = datetime.now(UTC)
        try:
            DDB.update_item(
                TableName=table,
                Key=outbox.dynamo(key),
                UpdateExpression="SET notice_claimed_at = :at",
                ConditionExpression="attribute_exists(sent_at) AND attribute_not_exists(notice_message_id) AND "
                "(attribute_not_exists(notice_claimed_at) OR notice_claimed_at < :stale)",
                ExpressionAttributeValues=outbox.dynamo({":at": iso(now), ":stale": iso(now - timedelta(seconds=60))}),
            )
            claimed = True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            claimed = False
        if claimed:
            token = signing.sign_link(
                ring(), "partner-notice", f"{partner['partner_id']}:{proposal_id}", 30 * 24 * 3600
            )
            context = {
                "partner": partner,
                "proposal": proposal,
                "link": f"{web.origin(app.current_request)}/partners/notice/{token}",
            }
            message_id = send_email(partner["email"], "proposal_notice", context)
            DDB.update_item(
                TableName=table,
                Key=outbox.dynamo(key),
                UpdateExpression="SET notice_message_id = :m REMOVE notice_claimed_at",
                ExpressionAttributeValues=outbox.dynamo({":m": message_id}),
            )
            sent_now = True
    answer = {
        "proposal_id": proposal_id,
        "status": proposal["status"],
        "sent_at": proposal.get("sent_at"),
        "email_sent_now": sent_now,
    }
    return web.json_response(answer)


def send_email(to: str, template: str, context: dict[str, Any]) -> str:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = web.render(f"emails/{template}.subject.txt", **context).strip()
    msg["From"], msg["To"] = env("MAIL_FROM"), to
    msg.set_content(web.render(f"emails/{template}.txt", **context))
    msg.add_alternative(web.render(f"emails/{template}.html", **context), subtype="html")
    answer = SES.send_email(
        FromEmailAddress=env("MAIL_FROM"),
        Destination={"ToAddresses": [to]},
        Content={"Raw": {"Data": msg.as_bytes()}},
        ConfigurationSetName=env("MAIL_CONFIGURATION_SET"),
    )
    return str(answer["MessageId"])


@app.route("/crm/reports/uncovered-zips", methods=["GET"])
def uncovered_zips() -> Response:
    cursor = web.query(app.current_request, "cursor")[:500] or None
    rows, next_cursor = page_of(
        "ByZipStatus",
        "zip_status",
        "UNASSIGNED",
        "created_at",
        "zip_status = :h",
        {":h": "UNASSIGNED"},
        False,
        cursor,
        100,
    )
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(
            row["zip"], {"zip": row["zip"], "proposals": [], "oldest": row["created_at"], "newest": row["created_at"]}
        )
        group["proposals"].append(row["proposal_id"])
        group["oldest"], group["newest"] = (
            min(group["oldest"], row["created_at"]),
            max(group["newest"], row["created_at"]),
        )
    return web.json_response({"zips": sorted(groups.values(), key=lambda g: g["zip"]), "next_cursor": next_cursor})


def page_of(
    index: str,
    hash_attr: str,
    hash_value: str,
    sort_attr: str,
    condition: str,
    values: dict[str, Any],
    ascending: bool,
    cursor: str | None,
    size: int,
    filter_expression: str | None = None,
):  # type: ignore[no-untyped-def]
    """One Query of an index: a page (size + 1 tells whether another follows) and the next cursor."""
    import base64
    import json

    request: dict[str, Any] = {
        "TableName": env("PROPOSALS_TABLE"),
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": outbox.dynamo(values),
        "ScanIndexForward": ascending,
        "Limit": size + 1,
    }
    if filter_expression:
        request["FilterExpression"] = filter_expression
    if cursor:
        try:
            doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            assert doc["i"] == index
        except (ValueError, KeyError, AssertionError):
            raise BadRequest("This page link is out of date.") from None
        request["ExclusiveStartKey"] = outbox.dynamo(
            {hash_attr: hash_value, sort_attr: doc["s"], "pk": f"PROPOSAL#{doc['p']}", "sk": "PROPOSAL"}
        )
    answer = DDB.query(**request)
    rows = [outbox.plain(item) for item in answer.get("Items", [])]
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        raw = json.dumps({"i": index, "s": rows[-1][sort_attr], "p": rows[-1]["proposal_id"]}).encode()
        next_cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return rows, next_cursor


# -- the partner's pages ---------------------------------------------------------------------------
def partner(request: Any) -> web.Identity:
    return web.identity(request, "partner")


def partner_actor(request: Any, who: web.Identity) -> dict[str, Any]:
    return web.actor(request, "partner", who.subject_id, "external user")


def partner_page(template: str, who: web.Identity, status: int = 200, **context: Any) -> Response:
    return auth.signed_in_page(app.current_request, ring(), template, status, identity=who, portal=PORTAL, **context)


@app.route("/partners/proposals", methods=["GET"])
def list_proposals() -> Response:
    request = app.current_request
    who = partner(request)
    filters = web.parse(ListQuery, dict(request.query_params or {}))
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = {
        "today": midnight,
        "7d": now - timedelta(days=7),
        "30d": now - timedelta(days=30),
        "month": midnight.replace(day=1),
        "year": midnight.replace(month=1, day=1),
    }.get(filters.range)
    opportunity, hash_value = normalise(filters.opportunity), f"PARTNER#{who.subject_id}"
    cursor = filters.cursor or None
    if filters.owner:
        hash_value = f"PARTNER#{who.subject_id}#OWNER#{normalise(filters.owner)}"
        condition, values = "partner_owner_key = :h", {":h": hash_value}
        if since:
            condition += " AND sent_at >= :since"
            values[":since"] = iso(since)
        flt = None
        if opportunity:
            flt, values[":opp"] = "begins_with(opportunity_norm, :opp)", opportunity
        rows, next_cursor = page_of(
            "ByPartnerOwner",
            "partner_owner_key",
            hash_value,
            "sent_at",
            condition,
            values,
            False,
            cursor,
            PAGE_SIZE,
            flt,
        )
    elif opportunity:
        values = {":h": hash_value, ":opp": opportunity}
        flt = None
        if since:
            flt, values[":since"] = "sent_at >= :since", iso(since)
        rows, next_cursor = page_of(
            "ByPartnerOpportunity",
            "partner_key",
            hash_value,
            "opportunity_sort",
            "partner_key = :h AND begins_with(opportunity_sort, :opp)",
            values,
            True,
            cursor,
            PAGE_SIZE,
            flt,
        )
    else:
        condition, values = "partner_key = :h", {":h": hash_value}
        if since:
            condition += " AND sent_at >= :since"
            values[":since"] = iso(since)
        rows, next_cursor = page_of(
            "ByPartner", "partner_key", hash_value, "sent_at", condition, values, False, cursor, PAGE_SIZE
        )
    items = [
        {
            "proposal_id": r["proposal_id"],
            "opportunity_name": r["opportunity_name"],
            "account_name": r["account_name"],
            "account_owner": r["account_owner"],
            "status": r["status"],
            "zip": r["zip"],
            "city": r["property_address"]["city"],
            "sent_at": r["sent_at"],
        }
        for r in rows
    ]
    owners_item = DDB.get_item(
        TableName=env("PROPOSALS_TABLE"),
        Key=outbox.dynamo({"pk": hash_value.split("#OWNER#")[0], "sk": "OWNERS"}),
        ProjectionExpression="owners",
    ).get("Item")
    owners = sorted(outbox.plain(owners_item).get("owners", set()), key=str.lower) if owners_item else []
    page = {"items": items, "next_cursor": next_cursor}
    if web.wants_json(request):
        return web.json_response(page)
    ranges = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days", "month": "This month", "year": "This year"}
    shown = {"owner": filters.owner, "range": filters.range, "opportunity": filters.opportunity}
    return partner_page(
        "proposals/list.html",
        who,
        title="Your proposals",
        page=web.listing(items=[web.dated(i, "sent_at") for i in items], next_cursor=next_cursor),
        owners=owners,
        filters=shown,
        filtered=any(shown.values()),
        ranges=ranges,
        first_page=not cursor,
        active="proposals",
    )


def image_view(proposal_id: str, image: dict[str, Any]) -> dict[str, Any]:
    bucket = env("IMAGES_BUCKET")
    return {
        "image_id": image["image_id"],
        "content_type": image["content_type"],
        "width": image["width"],
        "height": image["height"],
        "thumb_url": photos.view_url(S3, bucket, image["thumb_key"]),
        "url": photos.view_url(S3, bucket, image["key"], image["content_type"]),
        "page": f"/partners/proposals/{proposal_id}/images/{image['image_id']}",
    }


@app.route("/partners/proposals/{proposal_id}", methods=["GET"])
def view_proposal(proposal_id: str) -> Response:
    request = app.current_request
    who = partner(request)
    tab = web.query(request, "tab", "main")
    if tab not in ("main", "products", "images"):
        raise ValidationFailed("Unknown tab.")
    proposal = visible_proposal(who.subject_id, proposal_id)
    outbox.emit(
        DDB,
        outbox.activity(
            "partners",
            partner_actor(request, who),
            "viewed",
            f"external_proposal:{proposal_id}",
            "external_proposal",
            proposal_id,
        ),
    )
    views = [image_view(proposal_id, i) for i in proposal["images"]]
    if web.wants_json(request):
        return web.json_response({**proposal, "images": views})
    for line in proposal["products"]:
        line["quantity"], line["unit_price"] = Decimal(line["quantity"]), Decimal(line["unit_price"])
        line["line_total"] = (line["quantity"] * line["unit_price"]).quantize(Decimal("0.01"))
    proposal["total"] = sum((line["line_total"] for line in proposal["products"]), Decimal("0.00"))
    return partner_page(
        "proposals/detail.html",
        who,
        title=f"Proposal {proposal_id}",
        proposal=web.dated(proposal, "sent_at"),
        images=views,
        tab=tab,
        tabs=TABS,
        done=web.query(request, "done"),
        active="proposals",
    )


@app.route("/partners/proposals/{proposal_id}/images", methods=["GET"])
def gallery(proposal_id: str) -> Response:
    who = partner(app.current_request)
    proposal = visible_proposal(who.subject_id, proposal_id)
    if not web.wants_json(app.current_request):
        return web.redirect(f"/partners/proposals/{proposal_id}?tab=images#tab-images")
    return web.json_response(
        {"proposal_id": proposal_id, "images": [image_view(proposal_id, i) for i in proposal["images"]]}
    )


@app.route("/partners/proposals/{proposal_id}/images/{image_id}", methods=["GET"])
def full_size(proposal_id: str, image_id: str) -> Response:
    request = app.current_request
    who = partner(request)
    if not re.fullmatch(r"[a-f0-9]{16}", image_id):
        raise ValidationFailed("Not an image id.")
    proposal = visible_proposal(who.subject_id, proposal_id)
    image = next((i for i in proposal["images"] if i["image_id"] == image_id), None)
    if image is None:
        raise NotFound("There is no such image.")
    outbox.emit(
        DDB,
        outbox.activity(
            "partners",
            partner_actor(request, who),
            "viewed",
            f"external_proposal:{proposal_id}",
            "proposal_image",
            image_id,
        ),
    )
    view = image_view(proposal_id, image)
    if web.wants_json(request):
        return web.json_response(view)
    index = proposal["images"].index(image)
    ids = [i["image_id"] for i in proposal["images"]]
    return partner_page(
        "proposals/image.html",
        who,
        title=f"Image of proposal {proposal_id}",
        proposal=proposal,
        image={**view, "expires_in": 300},
        index=index,
        previous=ids[index - 1] if index else None,
        next=ids[index + 1] if index + 1 < len(ids) else None,
        active="proposals",
    )


def respond(who: web.Identity, proposal_id: str, decision: str, reason: str) -> Response:
    request = app.current_request
    proposal = visible_proposal(who.subject_id, proposal_id)
    if proposal["status"] != "sent":
        raise Conflict(f"You have {proposal['status']} this proposal already.")
    actor = partner_actor(request, who)
    subject = f"external_proposal:{proposal_id}"
    at = iso(datetime.now(UTC))
    outbox.commit(
        DDB,
        [
            outbox.update(
                env("PROPOSALS_TABLE"),
                {"pk": f"PROPOSAL#{proposal_id}", "sk": "PROPOSAL"},
                "SET #s = :decision, #r = :response",
                "partner_id = :me AND #s = :sent",
                names={"#s": "status", "#r": "response"},
                values={
                    ":decision": decision,
                    ":me": who.subject_id,
                    ":sent": "sent",
                    ":response": {"decision": decision, "reason": reason, "at": at, "by": who.subject_id},
                },
            )
        ],
        [
            proposal_event(
                decision,
                proposal,
                actor,
                {"proposal_id": proposal_id, "partner_id": who.subject_id, "decision": decision, "reason": reason},
            ),
            outbox.activity("partners", actor, decision, subject, "external_proposal", proposal_id),
        ],
        {0: Conflict("This proposal was answered already.")},
    )
    if web.wants_json(request):
        return web.json_response({"proposal_id": proposal_id, "status": decision})
    return web.redirect(f"/partners/proposals/{proposal_id}?done={decision}")


@app.route("/partners/proposals/{proposal_id}/accept", methods=["POST"], content_types=FORMS)
def accept(proposal_id: str) -> Response:
    who = partner(app.current_request)
    web.read_form(app.current_request, ring, who.session_id)
    return respond(who, proposal_id, "accepted", "")


@app.route("/partners/proposals/{proposal_id}/decline", methods=["GET"])
def decline_form(proposal_id: str) -> Response:
    who = partner(app.current_request)
    proposal = visible_proposal(who.subject_id, proposal_id)
    if proposal["status"] != "sent":
        return web.redirect(f"/partners/proposals/{proposal_id}")
    return partner_page(
        "proposals/decline.html",
        who,
        title=f"Decline proposal {proposal_id}",
        proposal=proposal,
        reason="",
        errors={},
        active="proposals",
    )


@app.route("/partners/proposals/{proposal_id}/decline", methods=["POST"], content_types=FORMS)
def decline(proposal_id: str) -> Response:
    request = app.current_request
    who = partner(request)
    fields = web.read_form(request, ring, who.session_id)
    decision, errors = web.validate(Decline, fields)
    if decision is None:
        if web.wants_json(request):
            raise ValidationFailed("Give a reason for declining.", field_errors=errors)
        proposal = visible_proposal(who.subject_id, proposal_id)
        return partner_page(
            "proposals/decline.html",
            who,
            422,
            title=f"Decline proposal {proposal_id}",
            proposal=proposal,
            reason=fields.get("reason", ""),
            errors=errors,
            active="proposals",
        )
    return respond(who, proposal_id, "declined", decision.reason)


@app.route("/partners/notice/{token}", methods=["GET"])
def open_notice(token: str) -> Response:
    subject = signing.verify_link(
        ring(),
        token[:1000],
        "partner-notice",
        "Sign in to the Partners portal: the proposal is in your list of proposals.",
    )
    proposal_id = subject.partition(":")[2]
    if web.cookie(app.current_request, "partners-session") is None:
        return web.redirect(f"/partners/sign-in?next=/partners/proposals/{proposal_id}")
    return web.redirect(f"/partners/proposals/{proposal_id}")


# -- RPHs (IntakeTable) --------------------------------------------------------------------------
def rph_form_page(
    who: web.Identity, draft_id: str | None, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    form_url = f"{web.origin(app.current_request)}/partners/rph/new"
    return partner_page(
        "intake/form.html",
        who,
        status,
        title="Send us a job (new RPH)",
        values=values,
        errors=errors,
        action="/partners/rph",
        active="rph",
        **photos.intake_photos(S3, env("IMAGES_BUCKET"), f"partner-{who.subject_id}", draft_id, form_url),
    )


@app.route("/partners/rph/new", methods=["GET"])
def new_rph() -> Response:
    who = partner(app.current_request)
    return rph_form_page(who, web.query(app.current_request, "draft")[:64] or None, {}, {})


@app.route("/partners/rph", methods=["POST"], content_types=FORMS)
def send_rph() -> Response:
    request = app.current_request
    who = partner(request)
    fields = web.read_form(request, ring, who.session_id)
    draft = photos.draft(f"partner-{who.subject_id}", fields.get("draft"))
    intake, errors = web.validate(IntakeFields, intake_of(fields))
    if intake is None:
        if web.wants_json(request):
            raise ValidationFailed("Some fields need attention.", field_errors=errors)
        return rph_form_page(who, draft.draft_id, fields, errors, 422)
    rph_id = f"RPH-{draft.draft_id[:16].upper()}"
    verified = photos.verified(S3, env("IMAGES_BUCKET"), draft)
    actor = partner_actor(request, who)
    rph = {
        "rph_id": rph_id,
        "partner_id": who.subject_id,
        "label": "external user",
        "source": "partners_portal",
        "fields": intake.model_dump(),
        "photos": verified,
        "created_at": iso(datetime.now(UTC)),
        "created_by": who.email,
    }
    item = {**rph, "pk": f"RPH#{rph_id}", "sk": "RECORD", "owner_key": f"PARTNER#{who.subject_id}"}
    try:
        outbox.commit(
            DDB,
            [outbox.put(env("INTAKE_TABLE"), item, "attribute_not_exists(pk)")],
            [
                outbox.crm_event(
                    "rph.created",
                    "partners",
                    actor,
                    f"rph:{rph_id}",
                    {**intake.model_dump(), "rph_id": rph_id, "partner_id": who.subject_id, "photos": verified},
                ),
                outbox.activity("partners", actor, "created", f"rph:{rph_id}", "rph", rph_id),
            ],
            {0: Conflict("This RPH was sent already.")},
        )
    except Conflict:
        rph = get_rph(who.subject_id, rph_id)
    if web.wants_json(request):
        return web.json_response(rph, 201)
    return web.redirect(f"/partners/rph/{rph_id}?sent=1")


def get_rph(partner_id: str, rph_id: str) -> dict[str, Any]:
    item = DDB.get_item(TableName=env("INTAKE_TABLE"), Key={"pk": {"S": f"RPH#{rph_id}"}, "sk": {"S": "RECORD"}}).get(
        "Item"
    )
    if item is None or item["partner_id"]["S"] != partner_id:
        raise NotFound("There is no such RPH.")
    return outbox.plain(item)


@app.route("/partners/rph", methods=["GET"])
def list_rphs() -> Response:
    who = partner(app.current_request)
    answer = DDB.query(
        TableName=env("INTAKE_TABLE"),
        IndexName="ByOwner",
        KeyConditionExpression="owner_key = :o",
        ExpressionAttributeValues={":o": {"S": f"PARTNER#{who.subject_id}"}},
        ScanIndexForward=False,
        Limit=50,
    )
    rphs = [outbox.plain(i) for i in answer.get("Items", [])]
    if web.wants_json(app.current_request):
        return web.json_response({"items": rphs})
    rphs = [web.dated(r, "created_at") for r in rphs]
    return partner_page("rph/list.html", who, title="Your RPHs", rphs=rphs, active="rph")


@app.route("/partners/rph/{rph_id}", methods=["GET"])
def show_rph(rph_id: str) -> Response:
    request = app.current_request
    who = partner(request)
    if not re.fullmatch(r"RPH-[A-Z0-9]{16}", rph_id):
        raise ValidationFailed("Not an RPH id.")
    rph = get_rph(who.subject_id, rph_id)
    outbox.emit(DDB, outbox.activity("partners", partner_actor(request, who), "viewed", f"rph:{rph_id}", "rph", rph_id))
    if web.wants_json(request):
        return web.json_response(rph)
    urls = [photos.view_url(S3, env("IMAGES_BUCKET"), p["key"], p["content_type"]) for p in rph["photos"]]
    rph = web.dated(rph, "created_at")
    return partner_page("rph/view.html", who, title=f"RPH {rph_id}", rph=rph, photos=urls, active="rph")


# -- event sources -------------------------------------------------------------------------------
@app.lambda_function(name="authorizer")
def authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return auth.authorize(PORTAL, CLIENTS, event)


PROPOSAL_IMAGE = re.compile(r"uploads/proposals/(?P<proposal_id>[A-Za-z0-9-]{3,40})/(?P<image_id>[a-f0-9]{16})")
INTAKE_PHOTO = re.compile(r"uploads/intake/[a-z]+-[A-Za-z0-9_-]{1,64}/[a-z0-9]{24}/[a-f0-9]{16}")


@app.on_s3_event(bucket=os.environ.get("IMAGES_BUCKET", "images"), events=["s3:ObjectCreated:*"], prefix="uploads/")
def make_thumbnail(event: Any) -> dict[str, Any]:
    """Check an upload by its bytes, make its thumbnail, record a proposal's image with its event."""
    key, bucket = event.key, env("IMAGES_BUCKET")  # Chalice's S3Event has unquoted the key
    found = PROPOSAL_IMAGE.fullmatch(key)
    if not found and not INTAKE_PHOTO.fullmatch(key):
        return {"key": key, "result": "ignored"}
    try:
        data = S3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return {"key": key, "result": "ignored"}
        raise
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            upright = ImageOps.exif_transpose(img)
            upright.thumbnail((320, 320))
            out = io.BytesIO()
            upright.convert("RGB").save(out, format="JPEG", quality=82, optimize=True)
    except (OSError, SyntaxError, ValueError):
        S3.delete_object(Bucket=bucket, Key=key)
        return {"key": key, "result": "rejected"}
    thumb_key = "thumbs/" + key.removeprefix("uploads/") + ".jpg"
    S3.put_object(Bucket=bucket, Key=thumb_key, Body=out.getvalue(), ContentType="image/jpeg")
    if not found:
        return {"key": key, "result": "thumbnail"}
    proposal_id, image_id, at = found["proposal_id"], found["image_id"], iso(datetime.now(UTC))
    image = {
        "pk": f"PROPOSAL#{proposal_id}",
        "sk": f"IMAGE#{at}#{image_id}",
        "image_id": image_id,
        "key": key,
        "thumb_key": thumb_key,
        "content_type": "image/jpeg",
        "size": len(data),
        "width": width,
        "height": height,
        "uploaded_at": at,
    }
    table = env("PROPOSALS_TABLE")
    system = {"kind": "system", "id": "thumbnails"}
    try:
        outbox.commit(
            DDB,
            [
                outbox.check(table, {"pk": f"PROPOSAL#{proposal_id}", "sk": "PROPOSAL"}, "attribute_exists(pk)"),
                outbox.put(table, image, "attribute_not_exists(sk)"),
            ],
            [
                outbox.crm_event(
                    "external_proposal.image_added",
                    "partners",
                    system,
                    f"external_proposal:{proposal_id}",
                    {"proposal_id": proposal_id, "image_id": image_id},
                )
            ],
            {0: NotFound("gone"), 1: Conflict("recorded")},
        )
    except Conflict:
        return {"key": key, "result": "duplicate"}
    return {"key": key, "result": "recorded"}
