"""The list, search and report routes measured for data-access scaling (one case per route or filter).

A world fills the tables with ``n`` records, as the repositories write them (bench/records.py):
a fixed set for the one partner, advertiser, invoice or days the requests ask about, just over a
page's worth, and every other record someone else's (other partners, advertisers, invoices, days).
Each case then serves one request through the real handler (local.inprocess.LambdaHarness) in
that world; bench/scaling.py counts its AWS calls and items read (bench/counting.py). A route whose
cost does not depend on the table's size answers with the same counts at 1,000 and 100,000 records.

The requests are the sample events of events/ (the signed-in partner ``ptn-demo``, the advertiser
``A-2001``), with only their query, path and Accept header changed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from bench import records
from local.inprocess import sample_event
from local.template import Stack

PARTNER = "ptn-demo"  # events/partners/*: the signed-in partner
ADVERTISER = "A-2001"  # events/leadworks/*: the signed-in advertiser
INVOICE = "INV-1001"  # events/payments/*
REPORT_DAYS = [date(2026, 11, 10) + timedelta(days=d) for d in range(3)]
Call = Callable[[dict[str, Any]], dict[str, Any]]  # serves an event, uncounted (to follow a page link)


def event(
    sample: str,
    *,
    query: dict[str, str] | None = None,
    path: str | None = None,
    path_parameters: dict[str, str] | None = None,
    accept: str | None = None,
) -> dict[str, Any]:
    """A sample event of events/ with another query string, path or Accept header."""
    answer = copy.deepcopy(sample_event(sample))
    if query is not None:
        answer["rawQueryString"] = urlencode(query)
        answer["queryStringParameters"] = dict(query) or None
        if not query:
            answer.pop("queryStringParameters", None)
    if path is not None:
        answer["rawPath"] = path
        answer["requestContext"]["http"]["path"] = path
    if path_parameters is not None:
        answer["pathParameters"] = path_parameters
    if accept is not None:
        answer["headers"]["accept"] = accept
    return answer


@dataclass
class Case:
    """One request of a route: ``request`` builds its event (``call`` serves earlier requests, uncounted,
    e.g. the first page whose link the request follows); ``expect`` is the status it must answer."""

    name: str
    function: str  # the template's logical id
    request: Callable[[Call], dict[str, Any]]
    expect: int = 200


@dataclass
class World:
    name: str
    fill: Callable[[Stack, int], None]
    cases: list[Case] = field(default_factory=list)


def _spread(n: int, fixed: int) -> int:
    """How many of n records are someone else's, next to the fixed ones."""
    if n < fixed:
        raise ValueError(f"{n} records cannot hold the {fixed} the requests ask about")
    return n - fixed


# -- Partners: ProposalsTable ----------------------------------------------------------------------
OWN_PROPOSALS, UNASSIGNED, IMAGES = 45, 150, 6
GALLERY = f"EP-{PARTNER}-000000"


def image_item(n: int) -> dict[str, Any]:
    at = records.iso(records.NOW - timedelta(minutes=100 - n))
    image_id = f"{n:016x}"
    return {
        "pk": f"PROPOSAL#{GALLERY}",
        "sk": f"IMAGE#{at}#{image_id}",
        "image_id": image_id,
        "key": f"uploads/proposals/{GALLERY}/{image_id}",
        "thumb_key": f"thumbs/proposals/{GALLERY}/{image_id}.jpg",
        "content_type": "image/jpeg",
        "size": 120_000,
        "width": 1600,
        "height": 1200,
        "uploaded_at": at,
    }


def fill_proposals(stack: Stack, n: int) -> None:
    """The partner's sent proposals (two pages and more), unassigned ones (the uncovered-ZIP report,
    a page and more), and every other record another partner's proposal (200 partners)."""
    others = _spread(n, OWN_PROPOSALS + UNASSIGNED + IMAGES + 1)
    records.load(stack, "ProposalsTable", (records.proposal_item(PARTNER, k) for k in range(OWN_PROPOSALS)))
    records.load(stack, "ProposalsTable", [records.owners_item(PARTNER)])
    records.load(stack, "ProposalsTable", (image_item(k) for k in range(IMAGES)))
    records.load(stack, "ProposalsTable", (records.unassigned_proposal_item(k) for k in range(UNASSIGNED)))
    records.load(
        stack,
        "ProposalsTable",
        (records.proposal_item(f"ptn-other{k % 200:03d}", k, zip_code=f"{k % 200:05d}") for k in range(others)),
    )


def _next_page(sample: str, query: dict[str, str]) -> Callable[[Call], dict[str, Any]]:
    def request(call: Call) -> dict[str, Any]:
        first = json.loads(call(event(sample, query=query))["body"])
        assert first["next_cursor"], "the first page must link to a next one"
        return event(sample, query={**query, "cursor": first["next_cursor"]})

    return request


PROPOSALS = World(
    "proposals",
    fill_proposals,
    [
        Case(
            "partners: proposal list (JSON)",
            "PartnersListProposalsFunction",
            lambda _: event("partners/list_proposals_json.json", query={}),
        ),
        Case(
            "partners: proposal list (page)",
            "PartnersListProposalsFunction",
            lambda _: event("partners/list_proposals_json.json", query={}, accept="text/html"),
        ),
        Case(
            "partners: proposal list, next page",
            "PartnersListProposalsFunction",
            _next_page("partners/list_proposals_json.json", {}),
        ),
        Case(
            "partners: proposal list by owner, last 30 days",
            "PartnersListProposalsFunction",
            lambda _: event("partners/list_proposals_json.json", query={"owner": "Sam Keeper", "range": "30d"}),
        ),
        Case(
            "partners: proposal search by opportunity name",
            "PartnersListProposalsFunction",
            lambda _: event("partners/list_proposals_json.json", query={"opportunity": "roof"}),
        ),
        Case(
            "partners: proposal search by owner and opportunity name (page)",
            "PartnersListProposalsFunction",
            lambda _: event(
                "partners/list_proposals_json.json",
                query={"owner": "Dana Owner", "opportunity": "paving"},
                accept="text/html",
            ),
        ),
        Case(
            "partners: a proposal's images gallery",
            "PartnersProposalImagesFunction",
            lambda _: event(
                "partners/proposal_images.json",
                path=f"/partners/proposals/{GALLERY}/images",
                path_parameters={"proposal_id": GALLERY},
            ),
        ),
        Case(
            "crm: uncovered-ZIP report",
            "PartnersUncoveredZipsFunction",
            lambda _: event("partners/crm_uncovered_zips.json"),
        ),
        Case(
            "crm: uncovered-ZIP report, next page",
            "PartnersUncoveredZipsFunction",
            _next_page("partners/crm_uncovered_zips.json", {}),
        ),
    ],
)


# -- IntakeTable (RPHs, leads) and the lead upload reports ----------------------------------------
OWN_RPHS, OWN_LEADS, LEAD_PAGE = 60, 40, 25
UPLOAD = f"{7:032x}"


def fill_intake(stack: Stack, n: int) -> None:
    """The partner's RPHs (more than the list shows), the advertiser's leads (more than a page) and
    one of its upload reports; every other record another partner's RPH or another advertiser's
    lead (200 of each), and another advertiser's upload report for every lead (S3)."""
    others = _spread(n, OWN_RPHS + OWN_LEADS)
    records.load(stack, "IntakeTable", (records.rph_item(PARTNER, k) for k in range(OWN_RPHS)))
    records.load(stack, "IntakeTable", (item for k in range(OWN_LEADS) for item in records.lead_items(ADVERTISER, k)))
    records.load(stack, "IntakeTable", (records.rph_item(f"ptn-other{k % 200:03d}", k) for k in range(0, others, 2)))
    records.load(
        stack,
        "IntakeTable",
        (item for k in range(1, others, 2) for item in records.lead_items(f"A-other{k % 200:03d}", k)),
    )
    records.put_objects(stack, "LeadUploadsBucket", [records.report_object(ADVERTISER, 7)])
    records.put_objects(
        stack, "LeadUploadsBucket", (records.report_object(f"A-other{k % 200:03d}", k) for k in range(others))
    )


def _lead_after(k: int) -> str:
    return str(records.lead_items(ADVERTISER, k)[0]["lead_id"])


INTAKE = World(
    "intake",
    fill_intake,
    [
        Case("partners: RPH list", "PartnersViewRphFunction", lambda _: event("partners/view_rph.json")),
        Case(
            "leadworks: lead list (JSON)",
            "LeadworksListLeadsFunction",
            lambda _: event("leadworks/list_leads.json", accept="application/json"),
        ),
        Case("leadworks: lead list (page)", "LeadworksListLeadsFunction", lambda _: event("leadworks/list_leads.json")),
        Case(
            "leadworks: lead list, next page",
            "LeadworksListLeadsFunction",
            lambda _: event(
                "leadworks/list_leads.json", query={"after": _lead_after(LEAD_PAGE - 1)}, accept="application/json"
            ),
        ),
        Case(
            "leadworks: upload report (CSV)",
            "LeadworksUploadReportFunction",
            lambda _: event(
                "leadworks/upload_report.json",
                path=f"/leadworks/leads/upload/{UPLOAD}/report.csv",
                path_parameters={"upload_id": UPLOAD},
            ),
        ),
    ],
)


# -- PaymentsTable -------------------------------------------------------------------------------
OWN_ATTEMPTS_PER_DAY, OTHER_INVOICE_ATTEMPTS = 20, 25


def fill_payments(stack: Stack, n: int) -> None:
    """The invoice and its attempts on the report's three days (20 a day); every other record an
    attempt of another invoice (25 each) on another day of the year before, or that invoice."""
    own = len(REPORT_DAYS) * OWN_ATTEMPTS_PER_DAY
    others = _spread(n, own + 1)
    records.load(stack, "PaymentsTable", [records.invoice_item(INVOICE)])
    records.load(
        stack,
        "PaymentsTable",
        (records.attempt_item(INVOICE, k, REPORT_DAYS[k % len(REPORT_DAYS)]) for k in range(own)),
    )
    invoices = others // (OTHER_INVOICE_ATTEMPTS + 1)
    records.load(stack, "PaymentsTable", (records.invoice_item(f"INV-O{k:06d}") for k in range(invoices)))
    records.load(
        stack,
        "PaymentsTable",
        (
            records.attempt_item(f"INV-O{k % max(invoices, 1):06d}", k, date(2025, 11, 1) + timedelta(days=k % 365))
            for k in range(others - invoices)
        ),
    )


def _report_query() -> dict[str, str]:
    return {"from": REPORT_DAYS[0].isoformat(), "to": REPORT_DAYS[-1].isoformat()}


PAYMENTS = World(
    "payments",
    fill_payments,
    [
        Case(
            "crm: CC payments report, three days (JSON)",
            "PaymentsReportFunction",
            lambda _: event("payments/payments_report.json", query=_report_query()),
        ),
        Case(
            "crm: CC payments report, three days, declined only (CSV)",
            "PaymentsReportFunction",
            lambda _: event(
                "payments/payments_report.json", query={**_report_query(), "outcome": "declined", "format": "csv"}
            ),
        ),
        Case(
            "crm: CC payments report, one invoice (CSV)",
            "PaymentsReportFunction",
            lambda _: event("payments/payments_report_csv.json"),
        ),
        Case(
            "crm: invoice with its attempts",
            "PaymentsGetInvoiceFunction",
            lambda _: event("payments/get_invoice.json"),
        ),
    ],
)

WORLDS = [PROPOSALS, INTAKE, PAYMENTS]
CASES = [case for world in WORLDS for case in world.cases]
