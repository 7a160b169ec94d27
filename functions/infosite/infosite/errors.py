"""The Info site's typed errors (answers: portal_common.web.errors)."""

from portal_common.errors import Conflict, NotFound


class ContactNotFound(NotFound):
    title = "We could not find your details"


class AlreadyUnsubscribed(Conflict):
    """The contact had unsubscribed before (a second click, or a race between two)."""


class QuoteAlreadyReceived(Conflict):
    """The quote request of this link is stored already (a second submit)."""


class SendAlreadyRecorded(Conflict):
    """This nurture send was recorded before (SQS delivered the message twice)."""
