"""AWS clients: created once per process, lazily, on first use (never per request, never at import).

Endpoints come only from the SDK's standard settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
AWS_REGION), so the same code runs against moto, LocalStack or AWS.

The clients are botocore's, made from a botocore session: boto3's clients are the same objects, but
importing ``boto3`` also imports s3transfer (and multiprocessing) and the resource layer, which
nothing here uses: about 20 ms of every cold start (``make bench``). Items are converted by
portal_common.dynamo, for the same reason.
"""

from __future__ import annotations

import platform
from functools import cache
from typing import Any

from botocore import __version__ as botocore_version
from botocore.config import Config

# A fixed User-Agent. botocore otherwise rebuilds its structured one (SDK, OS, language, feature and
# config metadata, each component sanitised character by character) twice for every request:
# ~0.2 ms of each AWS call's ~0.5 ms of client-side work. The SDK and language stay in it.
USER_AGENT = f"crm-satellite-portals Botocore/{botocore_version} Python/{platform.python_version()}"

# No client-side parameter validation: botocore walks every request against the service model
# before sending it (~0.1 ms of each call), and the service validates it again anyway. A malformed
# request is then refused by AWS (ValidationException) instead of botocore (ParamValidationError);
# either is an unexpected error, answered 500 with the correlation id. botocore documents the
# switch for this purpose; in the tests the requests reach moto, which refuses malformed ones too.
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
    user_agent=USER_AGENT,
    parameter_validation=False,
)


@cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


# S3 signs with SigV4 (presigned URLs and POSTs carry their expiry in the signed request)
_SERVICE_CONFIG = {"s3": Config(signature_version="s3v4")}


@cache
def client(service: str) -> Any:
    config = _CONFIG.merge(_SERVICE_CONFIG[service]) if service in _SERVICE_CONFIG else _CONFIG
    return _session().create_client(service, config=config)


def reset() -> None:
    """Forget every client (tests that swap the endpoint or credentials)."""
    client.cache_clear()
    _session.cache_clear()
