"""PUT /crm/contacts/{contact_id}: the CRM adds or updates a contact it nurtures (IAM-authorized)."""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from infosite.contact_sync import upsert_contact
from infosite.contacts import ContactUpsert, ContactView

from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")


@app.put("/crm/contacts/<contact_id>")
def put_contact(
    contact_id: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")], contact: ContactUpsert
) -> ContactView:
    return upsert_contact(contact_id, contact)


lambda_handler = entrypoint(app)
