"""GET /partners/notice/{token}: the link in a proposal notice email (public: the authorizer is not
in front of it). The signed link is checked (tampered: 403 page, expired: 410 page saying what to
do); then the partner goes to the proposal, or to sign-in first when not signed in."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from proposals.notice_links import proposal_of_notice

from portal_common.auth.cookies import session_name
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.forms import cookie
from portal_common.web.pages import redirect

app = portal_app()


@app.get(
    "/partners/notice/<token>", responses=docs.redirect("To the proposal (through the sign-in page when signed out)")
)
def open_notice(token: Annotated[str, Path(max_length=1000)]):
    proposal_id = proposal_of_notice(token)
    if cookie(app, session_name("partners")) is None:
        return redirect(f"/partners/sign-in?next=/partners/proposals/{proposal_id}")
    return redirect(f"/partners/proposals/{proposal_id}")


lambda_handler = entrypoint(app)
