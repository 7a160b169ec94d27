"""Write docs/events/*.schema.json from the models (envelope + one schema per event type)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from portal_common.crm_contracts import catalog
from portal_common.events import CrmEvent


def schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    envelope = CrmEvent.model_json_schema()
    envelope["$id"] = "crm-event.schema.json"
    envelope["title"] = "CRM event envelope"
    out["crm-event.schema.json"] = envelope
    for event_type, model in sorted(catalog().items()):
        schema = model.model_json_schema()
        schema["$id"] = f"{event_type}.schema.json"
        schema["title"] = f"data of '{event_type}' events"
        out[f"{event_type}.schema.json"] = schema
    return out


def main(target: str = "docs/events") -> None:
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = schemas()
    for stale in folder.glob("*.schema.json"):
        if stale.name not in wanted:
            stale.unlink()
    for name, schema in wanted.items():
        (folder / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    sys.stdout.write(f"wrote {len(wanted)} schemas to {folder}\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
