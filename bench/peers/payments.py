"""Card payments as one Chalice app, the cold-start peer of functions/payments/: the same AWS calls
per route as our functions (invoices and attempts in PaymentsTable, signed links, the processor's
HTTPS API, receipts as PDF with fpdf2 in the receipts bucket, the receipt email), pydantic models,
Jinja2 pages."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from email.message import EmailMessage
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

import boto3
from botocore.exceptions import ClientError
from chalice import Chalice, Rate, Response
from chalicelib import outbox, signing, web
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.sent_once import send_once
from fpdf import FPDF
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator, model_validator

app = Chalice(app_name="payments")
web.use_templates_of("payments")
DDB = boto3.client("dynamodb")
S3 = boto3.client("s3")
SES = boto3.client("sesv2")
SECRETS = boto3.client("secretsmanager")
web.answer_errors(app)
JSON = ["application/json"]
FORMS = ["application/x-www-form-urlencoded", "application/json"]
OUTCOMES = ("succeeded", "declined", "failed", "refused", "blocked", "pending")
PAY_LINK_SECONDS, RECEIPT_LINK_SECONDS = 60 * 24 * 3600, 400 * 24 * 3600
NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"


def env(name: str) -> str:
    return os.environ[name]


def ring() -> signing.KeyRing:
    return signing.key_ring(SECRETS, env("LINK_SIGNING_SECRET_ARN"))


def now() -> datetime:
    return datetime.now(UTC)


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: EmailStr


class InvoiceLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    quantity: Decimal = Field(default=Decimal(1), gt=0, max_digits=12, decimal_places=3)
    unit_amount_minor: int | None = Field(default=None, ge=0)
    unit_amount: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_price(self) -> InvoiceLineIn:
        if (self.unit_amount_minor is None) == (self.unit_amount is None):
            raise ValueError("give exactly one of unit_amount_minor or unit_amount")
        return self


class InvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: CustomerIn
    currency: Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{3}$")] = "USD"
    amount_minor: int | None = None
    amount: Decimal | None = None
    due_date: date
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    lines: list[InvoiceLineIn] = Field(default_factory=list, max_length=100)


class ReportQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    invoice: Annotated[str, StringConstraints(pattern=NUMBER)] | None = None
    outcomes: list[Literal["succeeded", "declined", "failed", "refused", "blocked", "pending"]] = Field(
        default_factory=list
    )
    format: Literal["json", "csv"] = "json"

    @field_validator("outcomes", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return [v for v in value.split(",") if v] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _range(self) -> ReportQuery:
        if self.date_from and self.date_to and (self.date_to - self.date_from).days > 366:
            raise ValueError("at most 366 days")
        return self


class PayForm(BaseModel):
    attempt_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
    card_token: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{6,128}$")]


def to_minor(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def display(amount_minor: int, currency: str) -> str:
    return f"{currency} {Decimal(amount_minor) / 100:,.2f}"


def base_url(request: Any) -> str:
    return f"{(web.header(request, 'x-forwarded-proto') or 'https').split(',')[0]}://{web.header(request, 'host')}"


def pay_link(request: Any, number: str) -> dict[str, Any]:
    token = signing.sign_link(ring(), "pay", number, PAY_LINK_SECONDS)
    expires = datetime.fromtimestamp(int(time.time() + PAY_LINK_SECONDS), UTC)
    return {"url": f"{base_url(request)}/payments/pay/{token}", "expires_at": expires.isoformat()}


# -- PaymentsTable -------------------------------------------------------------------------------
def get_invoice(number: str) -> dict[str, Any] | None:
    item = DDB.get_item(
        TableName=env("PAYMENTS_TABLE"),
        Key={"pk": {"S": f"INVOICE#{number}"}, "sk": {"S": "INVOICE"}},
        ConsistentRead=True,
    ).get("Item")
    return outbox.plain(item) if item else None


def query_all(**kwargs: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        answer = DDB.query(TableName=env("PAYMENTS_TABLE"), **kwargs)
        found += [outbox.plain(i) for i in answer.get("Items", [])]
        if "LastEvaluatedKey" not in answer:
            return found
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def outcome_filter(outcomes: list[str], kwargs: dict[str, Any]) -> dict[str, Any]:
    if outcomes:
        names = [f":o{n}" for n in range(len(outcomes))]
        kwargs["FilterExpression"] = f"#outcome IN ({', '.join(names)})"
        kwargs["ExpressionAttributeNames"] = {"#outcome": "outcome"}
        kwargs["ExpressionAttributeValues"].update({n: {"S": o} for n, o in zip(names, outcomes, strict=True)})
    return kwargs


def attempts_of_invoice(
    number: str, day_from: date | None = None, day_to: date | None = None, outcomes: list[str] | None = None
) -> list[dict[str, Any]]:
    low = f"ATTEMPT#{day_from.isoformat()}" if day_from else "ATTEMPT#"
    high = f"ATTEMPT#{day_to.isoformat()}T~" if day_to else "ATTEMPT#~"
    kwargs = {
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ConsistentRead": True,
        "ExpressionAttributeValues": {":pk": {"S": f"INVOICE#{number}"}, ":low": {"S": low}, ":high": {"S": high}},
    }
    return query_all(**outcome_filter(outcomes or [], kwargs))


def attempts_on_day(day: date, outcomes: list[str] | None = None) -> list[dict[str, Any]]:
    kwargs = {
        "IndexName": "ByAttemptDay",
        "KeyConditionExpression": "attempt_day = :day",
        "ExpressionAttributeValues": {":day": {"S": day.isoformat()}},
    }
    return query_all(**outcome_filter(outcomes or [], kwargs))


def invoice_out(invoice: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in invoice.items() if k not in ("pk", "sk", "pending")}
    out.update(
        amount=f"{Decimal(invoice['amount_minor']) / 100:.2f}",
        amount_display=display(int(invoice["amount_minor"]), invoice["currency"]),
    )
    return out


@app.route("/crm/payments/invoices/{number}", methods=["PUT"], content_types=JSON)
def put_invoice(number: str) -> Response:
    if not re.fullmatch(NUMBER, number):
        raise ValidationFailed("Not an invoice number.")
    body = web.parse(InvoiceIn, web.read_json(app.current_request))
    lines = []
    for line in body.lines:
        unit = (
            line.unit_amount_minor if line.unit_amount_minor is not None else to_minor(line.unit_amount or Decimal(0))
        )
        lines.append(
            {
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_amount_minor": unit,
                "amount_minor": int((line.quantity * unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            }
        )
    total = (
        body.amount_minor
        if body.amount_minor is not None
        else (to_minor(body.amount) if body.amount is not None else sum(line["amount_minor"] for line in lines))
    )
    if lines and total != sum(line["amount_minor"] for line in lines):
        raise ValidationFailed("The amounts do not add up.", field_errors={"amount": "not the sum of the lines"})
    previous = get_invoice(number)
    if previous is not None and previous["status"] != "open":
        raise Conflict(f"Invoice {number} is {previous['status']}: it can no longer be changed.")
    link = pay_link(app.current_request, number)
    at = now().isoformat()
    invoice = {
        "number": number,
        "customer_name": body.customer.name,
        "customer_email": str(body.customer.email),
        "currency": body.currency,
        "amount_minor": total,
        "due_date": body.due_date.isoformat(),
        "description": body.description,
        "lines": lines,
        "status": "open",
        "version": int(previous["version"]) + 1 if previous else 1,
        "created_at": previous["created_at"] if previous else at,
        "updated_at": at,
    }
    item = {"pk": f"INVOICE#{number}", "sk": "INVOICE", **invoice}
    if previous is None:
        change = outbox.put(env("PAYMENTS_TABLE"), item, "attribute_not_exists(pk)")
    else:
        change = outbox.put(
            env("PAYMENTS_TABLE"),
            item,
            "#status = :open AND #version = :version",
            names={"#status": "status", "#version": "version"},
            values={":open": "open", ":version": previous["version"]},
        )
    event = outbox.crm_event(
        "invoice.updated" if previous else "invoice.created",
        "payments",
        {"kind": "crm", "id": "crm"},
        f"invoice:{number}",
        {
            "invoice_number": number,
            "amount_minor": total,
            "currency": body.currency,
            "due_date": body.due_date.isoformat(),
            "payment_link_expires_at": link["expires_at"],
        },
    )
    outbox.commit(DDB, [change], [event], {0: Conflict("The invoice is being paid, is paid, or changed meanwhile.")})
    answer = {"created": previous is None, "invoice": invoice_out(invoice), "payment_link": link}
    return web.json_response(answer, 200 if previous else 201)


@app.route("/crm/payments/invoices/{number}", methods=["GET"])
def get_invoice_detail(number: str) -> Response:
    invoice = get_invoice(number)
    if invoice is None:
        raise NotFound(f"There is no invoice {number}.")
    answer = {
        "invoice": invoice_out(invoice),
        "payment_link": pay_link(app.current_request, number),
        "attempts": attempts_of_invoice(number),
    }
    return web.json_response(answer)


@app.route("/crm/payments/report", methods=["GET"])
def payments_report() -> Response:
    request = app.current_request
    params = dict(request.query_params or {})
    wants_csv = params.get("format") == "csv" or (
        "format" not in params and "text/csv" in web.header(request, "accept")
    )
    query = web.parse(
        ReportQuery,
        {
            "from": params.get("from") or None,
            "to": params.get("to") or None,
            "invoice": params.get("invoice") or None,
            "outcomes": params.get("outcome") or [],
            "format": "csv" if wants_csv else "json",
        },
    )
    today = now().date()
    day_from, day_to = query.date_from, query.date_to
    if query.invoice:
        attempts = attempts_of_invoice(query.invoice, day_from, day_to, list(query.outcomes))
    else:
        day_from = day_from or day_to or today
        day_to = day_to or (today if day_from <= today else day_from)
        attempts, day = [], day_from
        while day <= day_to:
            attempts += attempts_on_day(day, list(query.outcomes))
            day += timedelta(days=1)
    rows = sorted(attempts, key=lambda a: (a["started_at"], a["attempt_id"]))
    columns = [
        "attempt_id",
        "invoice_number",
        "started_at",
        "finished_at",
        "outcome",
        "amount_minor",
        "currency",
        "charge_id",
        "failure_code",
        "message",
        "resolved_by",
    ]
    out = [{c: row.get(c) for c in columns} for row in rows]
    if query.format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        for row in out:
            writer.writerow(
                {
                    k: "'" + str(v) if str(v)[:1] in ("=", "+", "-", "@") else ("" if v is None else v)
                    for k, v in row.items()
                }
            )
        headers = {
            "Content-Type": "text/csv; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="cc-payments-report.csv"',
        }
        return Response(body=buffer.getvalue(), status_code=200, headers=headers)
    report = {
        "from": str(day_from) if day_from else None,
        "to": str(day_to) if day_to else None,
        "invoice": query.invoice,
        "outcomes": list(query.outcomes),
        "count": len(out),
        "attempts": out,
    }
    return web.json_response(report)


# -- the customer's pages ------------------------------------------------------------------------
def invoice_of_link(token: str, purpose: str, next_step: str) -> dict[str, Any]:
    number = signing.verify_link(ring(), token, purpose, next_step)
    invoice = get_invoice(number)
    if invoice is None:
        raise NotFound("We could not find this invoice. Please ask us for a new payment link.")
    return invoice


def customer(request: Any, invoice: dict[str, Any]) -> dict[str, Any]:
    return web.actor(request, "customer", invoice["customer_email"])


def payment_page(request: Any, invoice: dict[str, Any], token: str, status: int = 200, message: str = "") -> Response:
    base = base_url(request)
    if invoice["status"] == "paid":
        payment = invoice["payment"]
        receipt = (
            f"{base}/payments/receipts/{signing.sign_link(ring(), 'receipt', invoice['number'], RECEIPT_LINK_SECONDS)}"
        )
        context = {
            "invoice": invoice,
            "amount": display(int(invoice["amount_minor"]), invoice["currency"]),
            "paid_at": payment["paid_at"],
            "card": f"{payment['card']['brand']} ending in {payment['card']['last4']}",
            "reference": payment["charge_id"],
            "receipt_url": receipt,
            "just_paid": status == 200 and bool(message),
        }
        if web.wants_json(request):
            return web.json_response({k: v for k, v in context.items() if k != "invoice"}, status)
        return web.page("paid.html", status, title=f"Invoice {invoice['number']} is paid", **context)
    csrf_token, csrf_cookie = web.issue_csrf(request, ring())
    query = urlencode({"origin": base, "label": f"Pay {display(int(invoice['amount_minor']), invoice['currency'])}"})
    context = {
        "invoice": invoice,
        "lines": invoice.get("lines", []),
        "token": token,
        "message": message,
        "amount": display(int(invoice["amount_minor"]), invoice["currency"]),
        "can_pay": invoice["status"] == "open",
        "pending": invoice["status"] == "paying",
        "csrf_token": csrf_token,
        "attempt_id": os.urandom(8).hex(),
        "hosted_fields_url": f"{env('PROCESSOR_BASE_URL').rstrip('/')}/hosted/card?{query}",
        "processor_origin": env("PROCESSOR_BASE_URL").rstrip("/"),
        "test_mode": env("PROCESSOR_MODE") == "simulator",
    }
    if web.wants_json(request):
        return web.json_response({k: v for k, v in context.items() if k not in ("invoice", "csrf_token")}, status)
    return web.page(
        "pay.html",
        status,
        [csrf_cookie] if csrf_cookie else None,
        title=f"Pay invoice {invoice['number']}",
        **{**context, "invoice": web.dated(invoice, "due_date")},
    )


@app.route("/payments/pay/{token}", methods=["GET"])
def pay_page(token: str) -> Response:
    request = app.current_request
    invoice = invoice_of_link(token, "pay", "Please ask us for a new payment link. Nothing was charged.")
    outbox.emit(
        DDB,
        outbox.activity(
            "payments",
            customer(request, invoice),
            "viewed",
            f"invoice:{invoice['number']}",
            "invoice",
            invoice["number"],
        ),
    )
    return payment_page(request, invoice, token)


def processor_call(
    method: str, path: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    credentials = json.loads(SECRETS.get_secret_value(SecretId=env("PROCESSOR_SECRET_ARN"))["SecretString"])
    request = urllib.request.Request(  # noqa: S310 - the processor's configured base URL
        f"{env('PROCESSOR_BASE_URL').rstrip('/')}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Bearer {credentials['api_key']}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=float(env("PROCESSOR_TIMEOUT_SECONDS"))) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def attempt_event(
    invoice: dict[str, Any], attempt: dict[str, Any], actor: dict[str, Any], status: str
) -> list[dict[str, Any]]:
    subject = f"invoice:{invoice['number']}"
    data = {
        **{
            k: attempt.get(k)
            for k in ("attempt_id", "outcome", "amount_minor", "currency", "charge_id", "failure_code")
        },
        "invoice_number": invoice["number"],
        "invoice_status": status,
    }
    events = [outbox.crm_event(f"payment.{attempt['outcome']}", "payments", actor, subject, data)]
    if attempt["outcome"] in ("succeeded", "declined", "failed"):
        action = "paid" if attempt["outcome"] == "succeeded" else "payment_failed"
        events.append(outbox.activity("payments", actor, action, subject, "invoice", invoice["number"]))
    return events


@app.route("/payments/pay/{token}", methods=["POST"], content_types=FORMS)
def pay_invoice(token: str) -> Response:
    request = app.current_request
    invoice = invoice_of_link(token, "pay", "Please ask us for a new payment link. Nothing was charged.")
    form = web.parse(PayForm, web.read_form(request, ring))
    table, actor = env("PAYMENTS_TABLE"), customer(request, invoice)
    key = f"{invoice['number']}:{form.attempt_id}"
    try:  # one attempt id pays once (our functions: Powertools idempotency on the same table)
        DDB.put_item(
            TableName=env("IDEMPOTENCY_TABLE"),
            Item={"id": {"S": key}, "status": {"S": "INPROGRESS"}, "expiration": {"N": str(int(time.time()) + 3600)}},
            ConditionExpression="attribute_not_exists(id)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return payment_page(
            request, get_invoice(invoice["number"]) or invoice, token, 409, "This payment was sent already."
        )
    started = now()
    sk = f"ATTEMPT#{started.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{form.attempt_id}"
    attempt = {
        "attempt_id": form.attempt_id,
        "invoice_number": invoice["number"],
        "started_at": started.isoformat(),
        "outcome": "pending",
        "amount_minor": int(invoice["amount_minor"]),
        "currency": invoice["currency"],
        "idempotency_key": hashlib.sha256(key.encode()).hexdigest(),
    }
    attempt_item = {
        "pk": f"INVOICE#{invoice['number']}",
        "sk": sk,
        "attempt_day": started.date().isoformat(),
        **attempt,
    }
    if invoice["status"] != "open":
        attempt.update(outcome="blocked", failure_code="already_paid")
        outbox.commit(
            DDB,
            [outbox.put(table, {**attempt_item, **attempt}, "attribute_not_exists(pk)")],
            attempt_event(invoice, attempt, actor, invoice["status"]),
        )
        return payment_page(request, invoice, token, 409, "This invoice is already paid or being paid.")
    status, card = processor_call("GET", f"/v1/tokens/{quote(form.card_token, safe='')}")
    if status != 200:
        attempt.update(outcome="failed", failure_code="token_invalid")
        outbox.commit(
            DDB,
            [outbox.put(table, {**attempt_item, **attempt}, "attribute_not_exists(pk)")],
            attempt_event(invoice, attempt, actor, "open"),
        )
        return payment_page(request, invoice, token, 402, "Please enter your card again.")
    attempt["card"] = {k: card.get(k) for k in ("brand", "last4", "exp_month", "exp_year")}
    outbox.commit(
        DDB,
        [
            outbox.update(
                table,
                {"pk": f"INVOICE#{invoice['number']}", "sk": "INVOICE"},
                "SET #status = :paying, #pending = :pending, updated_at = :now",
                "#status = :open AND #version = :version",
                names={"#status": "status", "#pending": "pending", "#version": "version"},
                values={
                    ":paying": "paying",
                    ":open": "open",
                    ":version": invoice["version"],
                    ":now": started.isoformat(),
                    ":pending": {"attempt_id": form.attempt_id, "attempt_sk": sk},
                },
            ),
            outbox.put(table, {**attempt_item, **attempt}, "attribute_not_exists(pk)"),
        ],
        attempt_event(invoice, attempt, actor, "paying"),
        {0: Conflict("Another payment of this invoice is in progress, or it is paid.")},
    )
    status, charge = processor_call(
        "POST",
        "/v1/charges",
        {
            "token": form.card_token,
            "amount": attempt["amount_minor"],
            "currency": attempt["currency"],
            "reference": invoice["number"],
            "description": f"Invoice {invoice['number']}",
        },
        {"Idempotency-Key": attempt["idempotency_key"]},
    )
    paid = status == 200 and charge.get("status") == "succeeded"
    finished = now().isoformat()
    attempt.update(
        outcome="succeeded" if paid else "declined",
        finished_at=finished,
        charge_id=charge.get("id"),
        failure_code=None if paid else charge.get("failure_code", "declined"),
    )
    payment = {
        "paid_at": finished,
        "attempt_id": form.attempt_id,
        "charge_id": charge.get("id"),
        "card": attempt["card"],
        "receipt_key": f"receipts/{invoice['number']}/{charge.get('id')}.pdf",
    }
    update = "SET #status = :new, updated_at = :now" + (", payment = :payment" if paid else "") + " REMOVE #pending"
    values = {":new": "paid" if paid else "open", ":now": finished, ":paying": "paying", ":attempt": form.attempt_id}
    if paid:
        values[":payment"] = payment
    outbox.commit(
        DDB,
        [
            outbox.update(
                table,
                {"pk": f"INVOICE#{invoice['number']}", "sk": "INVOICE"},
                update,
                "#status = :paying AND #pending.attempt_id = :attempt",
                names={"#status": "status", "#pending": "pending"},
                values=values,
            ),
            outbox.update(
                table,
                {"pk": f"INVOICE#{invoice['number']}", "sk": sk},
                "SET outcome = :o, finished_at = :f, charge_id = :c",
                "attribute_exists(pk)",
                values={":o": attempt["outcome"], ":f": finished, ":c": attempt["charge_id"] or "-"},
            ),
        ],
        attempt_event(invoice, attempt, actor, "paid" if paid else "open"),
        {0: Conflict("This payment attempt was already settled.")},
    )
    DDB.update_item(
        TableName=env("IDEMPOTENCY_TABLE"),
        Key={"id": {"S": key}},
        UpdateExpression="SET #s = :done",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":done": {"S": "COMPLETED"}},
    )
    invoice = get_invoice(invoice["number"]) or invoice
    if paid:  # the receipt PDF and email follow from the outbox stream (send_receipt below)
        return payment_page(request, invoice, token, 200, "Thank you: your payment was received.")
    return payment_page(request, invoice, token, 402, "Your card was declined. Nothing was charged.")


def render_pdf(invoice: dict[str, Any]) -> bytes:
    payment = invoice["payment"]
    pdf = FPDF(format="Letter")
    pdf.set_title(f"Receipt for invoice {invoice['number']}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, os.environ.get("COMPANY_NAME", ""), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for label, value in (
        ("Invoice", invoice["number"]),
        ("Customer", invoice["customer_name"]),
        ("Amount paid", display(int(invoice["amount_minor"]), invoice["currency"])),
        ("Date paid", payment["paid_at"]),
        ("Card", f"{payment['card']['brand']} {payment['card']['last4']}"),
        ("Processor reference", payment["charge_id"]),
    ):
        pdf.cell(55, 8, label)
        pdf.cell(0, 8, str(value).encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def store_receipt(invoice: dict[str, Any]) -> str:
    key = invoice["payment"]["receipt_key"]
    S3.put_object(
        Bucket=env("RECEIPTS_BUCKET"),
        Key=key,
        Body=render_pdf(invoice),
        ContentType="application/pdf",
        ServerSideEncryption="AES256",
    )
    return key


def email_receipt(invoice: dict[str, Any]) -> None:
    payment = invoice["payment"]
    link = signing.sign_link(ring(), "receipt", invoice["number"], RECEIPT_LINK_SECONDS)
    context = {
        "customer_name": invoice["customer_name"],
        "invoice_number": invoice["number"],
        "amount": display(int(invoice["amount_minor"]), invoice["currency"]),
        "paid_at": payment["paid_at"],
        "card": f"{payment['card']['brand']} ending in {payment['card']['last4']}",
        "reference": payment["charge_id"],
        "receipt_url": f"{invoice.get('portal_url') or ''}/payments/receipts/{link}",
    }
    msg = EmailMessage()
    msg["Subject"] = web.render("emails/payment_receipt.subject.txt", **context).strip()
    msg["From"], msg["To"] = env("MAIL_FROM"), invoice["customer_email"]
    msg.set_content(web.render("emails/payment_receipt.txt", **context))
    msg.add_alternative(web.render("emails/payment_receipt.html", **context), subtype="html")
    SES.send_email(
        FromEmailAddress=env("MAIL_FROM"),
        Destination={"ToAddresses": [invoice["customer_email"]]},
        Content={"Raw": {"Data": msg.as_bytes()}},
        ConfigurationSetName=env("MAIL_CONFIGURATION_SET"),
    )


@app.on_dynamodb_record(stream_arn=os.environ.get("OUTBOX_STREAM_ARN", "outbox-stream"), batch_size=10)
def send_receipt(event: Any) -> dict[str, Any]:
    """Each card_payment.succeeded outbox event: the receipt PDF, then the receipt email once (claimed
    first); a failed record is reported back (partial batch)."""
    failures = []
    for record in event:
        image = record.new_image or {}
        if image.get("type", {}).get("S") != "card_payment.succeeded":
            continue
        data = json.loads(image["event"]["S"])["data"]
        invoice = get_invoice(data["invoice_number"])
        if not invoice or (invoice.get("payment") or {}).get("charge_id") != data["processor_charge_id"]:
            continue
        key = {"pk": {"S": f"INVOICE#{invoice['number']}"}, "sk": {"S": f"RECEIPT_EMAIL#{data['processor_charge_id']}"}}
        try:
            store_receipt(invoice)
        except ClientError:
            failures.append({"itemIdentifier": record.sequence_number})
            continue
        if not send_once(DDB, env("PAYMENTS_TABLE"), key, lambda invoice=invoice: email_receipt(invoice)):
            failures.append({"itemIdentifier": record.sequence_number})
    return {"batchItemFailures": failures}


@app.route("/payments/receipts/{token}", methods=["GET"])
def download_receipt(token: str) -> Response:
    request = app.current_request
    invoice = invoice_of_link(token, "receipt", "Please ask us for a copy of your receipt.")
    if not invoice.get("payment"):
        raise NotFound("This invoice is not paid yet, so there is no receipt.")
    outbox.emit(
        DDB,
        outbox.activity(
            "payments",
            customer(request, invoice),
            "downloaded",
            f"invoice:{invoice['number']}",
            "invoice",
            invoice["number"],
        ),
    )
    key = invoice["payment"]["receipt_key"]
    try:
        S3.head_object(Bucket=env("RECEIPTS_BUCKET"), Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
            raise
        store_receipt(invoice)
    url = S3.generate_presigned_url(
        "get_object",
        Params={"Bucket": env("RECEIPTS_BUCKET"), "Key": key, "ResponseContentType": "application/pdf"},
        ExpiresIn=300,
    )
    if web.wants_json(request):
        return web.json_response({"url": url, "expires_in": 300})
    return web.redirect(url)


@app.route("/payments/webhooks/processor", methods=["POST"], content_types=JSON)
def processor_webhook() -> Response:
    request = app.current_request
    body, header = request.raw_body or b"", web.header(request, "processor-signature")
    secret = json.loads(SECRETS.get_secret_value(SecretId=env("PROCESSOR_SECRET_ARN"))["SecretString"])[
        "webhook_secret"
    ]
    parts: dict[str, list[str]] = {}
    for piece in header.split(","):
        name, _, value = piece.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise Forbidden("missing or malformed signature") from None
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if abs(time.time() - timestamp) > 300 or not any(hmac.compare_digest(expected, v) for v in parts.get("v1", [])):
        raise Forbidden("signature does not match")
    event = json.loads(body)
    charge = event.get("data", {}).get("charge") or {}
    invoice = get_invoice(str(charge.get("reference")))
    if invoice is None:
        return web.json_response({"result": "unknown invoice"})
    attempt_id = (charge.get("metadata") or {}).get("attempt_id")
    found = query_all(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        FilterExpression="attempt_id = :id",
        ExpressionAttributeValues={
            ":pk": {"S": f"INVOICE#{invoice['number']}"},
            ":prefix": {"S": "ATTEMPT#"},
            ":id": {"S": str(attempt_id)},
        },
        ConsistentRead=True,
    )
    if not found or found[0]["outcome"] != "pending":
        return web.json_response({"result": "already settled"})
    return web.json_response({"result": "settled"})


# -- schedule ------------------------------------------------------------------------------------
@app.schedule(Rate(5, unit=Rate.MINUTES))
def reconcile_payments(event: Any) -> dict[str, int]:
    """Attempts left pending (their answer never came): looked up at the processor by idempotency key."""
    settled, today = 0, now().date()
    for offset in range(3):
        for attempt in attempts_on_day(today - timedelta(days=offset), ["pending"]):
            invoice = get_invoice(attempt["invoice_number"])
            if invoice is None or invoice.get("status") != "paying":
                continue
            status, found = processor_call(
                "GET", "/v1/charges?" + urlencode({"idempotency_key": attempt["idempotency_key"]})
            )
            settled += 1 if status == 200 and found.get("data") else 0
    return {"settled": settled}
