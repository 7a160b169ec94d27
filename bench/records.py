"""Records in bulk, as the portals' repositories write them, loaded straight into moto's in-memory
backends (through the API, 100,000 items take minutes; the items are the same, and only the
request under test is counted). Shared by the data-access scaling benchmark (bench/scaling_cases.py)
and the tests that prove a list's cost does not grow (tests/integration/test_partners_list_cost.py).

Each builder returns a plain item (keys and attributes as the repository stores them); ``load``
serializes and writes any number of them into a table of the stack."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from local.template import Stack

ACCOUNT = "123456789012"
OWNERS = ("Dana Owner", "Sam Keeper", "Lee Holder")
NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def iso(moment: datetime) -> str:
    """The Partners and Leadworks timestamp format (clock.iso): fixed width, sorts as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load(stack: Stack, table: str, items: Iterable[dict[str, Any]]) -> int:
    """Write plain items into the table of the stack whose logical id is ``table``; returns how many.

    moto re-measures an item's whole size on every attribute it sets (to refuse items over 400 KB):
    quadratic in the attributes, most of the load's time. These items are about 1 KB, so the check
    is skipped while loading; everything else of moto's put_item (keys, types, indexes) runs."""
    from boto3.dynamodb.types import TypeSerializer
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    serializer = TypeSerializer()
    backend = dynamodb_backends[ACCOUNT][stack.region].get_table(stack.refs[table])
    count = 0
    checked = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment,method-assign]
    try:
        for item in items:
            backend.put_item({k: serializer.serialize(v) for k, v in item.items() if v is not None})
            count += 1
    finally:
        LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]
    return count


def put_objects(stack: Stack, bucket: str, objects: Iterable[tuple[str, bytes]]) -> int:
    """Write (key, body) objects into the bucket of the stack whose logical id is ``bucket``."""
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT]["aws"]
    name = stack.refs[bucket]
    count = 0
    for key, body in objects:
        backend.put_object(name, key, body, disable_notification=True)
        count += 1
    return count


# -- Partners: ProposalsTable (proposals.store) --------------------------------------------------
def _proposal_details(n: int) -> dict[str, Any]:
    return {
        "account_manager": {"name": "Alex Manager", "email": "alex.manager@example.com"},
        "customer": {"name": f"Customer {n}", "email": f"customer{n}@example.com"},
        "products": [{"product": "Asphalt paving (sq ft)", "quantity": "850", "unit_price": "4.25"}],
        "surveyor_notes": "",
    }


def proposal_item(partner_id: str, n: int, *, zip_code: str = "10001") -> dict[str, Any]:
    """A proposal sent to a partner n minutes ago (the attributes a list row and the indexes need)."""
    sent = NOW - timedelta(minutes=n + 1)
    owner = OWNERS[n % 3]
    opportunity = f"{'Roof' if n % 10 == 0 else 'Paving'} job {n}"
    inverted = 10**13 - int(sent.timestamp() * 1000)
    proposal_id = f"EP-{partner_id}-{n:06d}"
    return {
        "pk": f"PROPOSAL#{proposal_id}",
        "sk": "PROPOSAL",
        "proposal_id": proposal_id,
        "status": "sent",
        "partner_id": partner_id,
        "zip": zip_code,
        "opportunity_name": opportunity,
        "opportunity_norm": opportunity.lower(),
        "account_name": f"Account {n}",
        "account_owner": owner,
        "owner_norm": owner.lower(),
        "property_address": {"street": "1 Main St", "city": "Springfield", "state": "NY", "zip": zip_code},
        **_proposal_details(n),
        "created_at": iso(sent - timedelta(hours=1)),
        "sent_at": iso(sent),
        "partner_key": f"PARTNER#{partner_id}",
        "partner_owner_key": f"PARTNER#{partner_id}#OWNER#{owner.lower()}",
        "opportunity_sort": f"{opportunity.lower()}#{inverted:013d}",
    }


def owners_item(partner_id: str) -> dict[str, Any]:
    """The owner filter menu of a partner's list (proposals.store.owners)."""
    return {"pk": f"PARTNER#{partner_id}", "sk": "OWNERS", "owners": set(OWNERS)}


def unassigned_proposal_item(n: int) -> dict[str, Any]:
    """A proposal no partner could take (its ZIP is uncovered): in the uncovered-ZIP report."""
    created = NOW - timedelta(minutes=n + 1)
    proposal_id = f"EP-unassigned-{n:06d}"
    return {
        "pk": f"PROPOSAL#{proposal_id}",
        "sk": "PROPOSAL",
        "proposal_id": proposal_id,
        "status": "new",
        "zip": f"{90000 + n % 500:05d}",
        "opportunity_name": f"Job {n}",
        "account_name": f"Account {n}",
        "account_owner": OWNERS[n % 3],
        "property_address": {"street": "1 Main St", "city": "Springfield", "state": "NY", "zip": "10001"},
        **_proposal_details(n),
        "created_at": iso(created),
        "zip_status": "UNASSIGNED",
    }


def seed_sent_proposals(stack: Stack, partner_id: str, count: int) -> None:
    """``count`` proposals sent to one partner, and its owner menu."""
    load(stack, "ProposalsTable", (proposal_item(partner_id, n) for n in range(count)))
    load(stack, "ProposalsTable", [owners_item(partner_id)])


# -- IntakeTable: RPHs (rph.repository) and leads (leads.repository) -----------------------------
def _fields(n: int, email: str) -> dict[str, Any]:
    return {
        "customer_name": f"Customer {n}",
        "contact_name": "",
        "email": email,
        "phone": None,
        "street": f"{n} Elm Street",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
        "problem_description": "The driveway is cracked and wants a quote.",
    }


def rph_item(partner_id: str, n: int) -> dict[str, Any]:
    created = NOW - timedelta(minutes=n + 1)
    rph_id = f"RPH-{partner_id[:6].upper()}{n:010d}"
    return {
        "pk": f"RPH#{rph_id}",
        "sk": "RECORD",
        "owner_key": f"PARTNER#{partner_id}",
        "rph_id": rph_id,
        "partner_id": partner_id,
        "label": "external user",
        "source": "partners_portal",
        "fields": _fields(n, f"rph{n}@example.com"),
        "photos": [],
        "created_at": iso(created),
        "created_by": f"{partner_id}@example.com",
    }


def lead_items(advertiser_id: str, n: int) -> list[dict[str, Any]]:
    """A lead and its id pointer (leads.repository: LEAD#<email key> and LEADID#<lead id>)."""
    created = iso(NOW - timedelta(minutes=n + 1))
    email = f"lead{n}.{advertiser_id}@example.com".lower()
    lead_id = f"{n:08x}{hashlib.sha256(advertiser_id.encode()).hexdigest()[:24]}"
    lead = {
        "pk": f"LEAD#{email}",
        "sk": "RECORD",
        "owner_key": f"ADVERTISER#{advertiser_id}",
        "lead_id": lead_id,
        "advertiser_id": advertiser_id,
        "email_key": email,
        "label": "external user",
        "source": "leadworks_form",
        "fields": _fields(n, email),
        "photos": [],
        "created_at": created,
        "created_by": f"{advertiser_id}@example.com",
    }
    pointer = {
        "pk": f"LEADID#{lead_id}",
        "sk": "RECORD",
        "lead_id": lead_id,
        "email_key": email,
        "advertiser_id": advertiser_id,
        "lead_created_at": created,
    }
    return [lead, pointer]


def report_object(advertiser_id: str, n: int) -> tuple[str, bytes]:
    """A bulk upload's per-row report (leads.upload_reports: reports/<advertiser>/<upload id>.csv)."""
    body = f"\ufeffrow,email,result,lead_id,reason\r\n2,lead{n}@example.com,created,{n:032x},\r\n"
    return f"reports/{advertiser_id}/{n:032x}.csv", body.encode()


# -- PaymentsTable (card_payments.repository) ----------------------------------------------------
def invoice_item(number: str) -> dict[str, Any]:
    at = NOW.isoformat()
    return {
        "pk": f"INVOICE#{number}",
        "sk": "INVOICE",
        "number": number,
        "customer_name": "Ann Rivera",
        "customer_email": "ann.rivera@example.com",
        "currency": "USD",
        "amount_minor": 125000,
        "due_date": "2026-12-15",
        "lines": [],
        "status": "open",
        "version": 1,
        "created_at": at,
        "updated_at": at,
    }


def attempt_item(number: str, n: int, day: date, outcome: str = "declined") -> dict[str, Any]:
    """One payment attempt of an invoice, started on ``day`` (UTC): in the report's day index."""
    started = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(seconds=n % 50_000)
    attempt_id = f"att{n:013d}"
    return {
        "pk": f"INVOICE#{number}",
        "sk": f"ATTEMPT#{started.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{attempt_id}",
        "attempt_day": day.isoformat(),
        "attempt_id": attempt_id,
        "invoice_number": number,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(seconds=2)).isoformat(),
        "outcome": outcome,
        "amount_minor": 125000,
        "currency": "USD",
        "failure_code": "card_declined" if outcome == "declined" else None,
        "resolved_by": "answer",
    }
