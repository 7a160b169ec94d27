"""The CRM contract: JSON Schemas in docs/events/ are generated from the models and current."""

import json
from pathlib import Path

from local.template import ROOT
from portal_common.crm_contracts.__main__ import schemas
from portal_common.events import Actor, CrmEvent, activity_event


def test_published_schemas_match_the_models() -> None:
    # Given the schemas the models generate now
    generated = schemas()
    published = {p.name: json.loads(p.read_text()) for p in (ROOT / "docs" / "events").glob("*.schema.json")}
    # Then docs/events holds exactly those (run `python -m portal_common.crm_contracts` after a change)
    assert published == json.loads(json.dumps(generated)), "docs/events is stale: run `make docs`"


def test_an_event_round_trips_through_its_envelope() -> None:
    event = activity_event("partners", Actor(kind="partner", id="p-1", source_ip="203.0.113.5"), "viewed", "proposal:9")
    again = CrmEvent.model_validate_json(event.model_dump_json())
    assert again == event
    assert again.data == {"action": "viewed", "record_type": None, "record_id": None}
    assert again.schema_version == "1.0"


def test_every_event_type_has_a_schema_file() -> None:
    from portal_common.crm_contracts import catalog

    for event_type in catalog():
        assert (Path(ROOT) / "docs" / "events" / f"{event_type}.schema.json").exists()
