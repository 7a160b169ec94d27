"""Sign-in for the two portals people sign in to (Partners, Leadworks): Cognito ID tokens in the
``__Host-<portal>-session`` cookie, a session item per sign-in, the REQUEST authorizer of protected routes,
and the sign-in pages (a Blueprint each portal registers)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import jwt
from botocore.exceptions import ClientError
from chalice import Blueprint, Response
from chalicelib import outbox, signing, web
from chalicelib.errors import Conflict, Forbidden, PortalError, ValidationFailed
from pydantic import BaseModel, Field, field_validator

NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"  # noqa: S105 - a challenge name
_KEYS: dict[str, tuple[float, dict[str, jwt.PyJWK]]] = {}


@dataclass(frozen=True)
class Portal:
    portal: str
    kind: str
    name: str
    subject_claim: str
    contact: str


@dataclass(frozen=True)
class Clients:
    ddb: Any
    cognito: Any
    secrets: Any


class Settings(BaseModel):
    """The one Lambda function of the app has every route's variables; each route reads its own."""

    user_pool_id: str = Field(default="", alias="USER_POOL_ID")
    user_pool_client_id: str = Field(default="", alias="USER_POOL_CLIENT_ID")
    sessions_table: str = Field(default="", alias="SESSIONS_TABLE")
    session_idle_minutes: int = Field(default=30, alias="SESSION_IDLE_MINUTES", gt=0)
    session_max_hours: int = Field(default=12, alias="SESSION_MAX_HOURS", gt=0)
    link_signing_secret_arn: str = Field(default="", alias="LINK_SIGNING_SECRET_ARN")


class Denied(Exception):
    pass


class SignInRefused(PortalError):
    status, code = 401, "sign_in_refused"


# -- tokens and sessions --------------------------------------------------------------------------
def _issuer(pool_id: str) -> str:
    return f"https://cognito-idp.{pool_id.split('_', 1)[0]}.amazonaws.com/{pool_id}"


def _signing_key(cognito: Any, pool_id: str, key_id: str | None) -> jwt.PyJWK:
    cached = _KEYS.get(pool_id)
    if cached is None or (key_id not in cached[1] and time.monotonic() - cached[0] > 300):
        endpoint = str(cognito.meta.endpoint_url)
        host = urlsplit(endpoint).hostname or ""
        url = (
            f"{_issuer(pool_id)}/.well-known/jwks.json"
            if host.endswith(".amazonaws.com")
            else f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"
        )
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - the pool's own endpoint
            doc = json.load(answer)
        keys = {k.key_id: k for k in (jwt.PyJWK.from_dict(d) for d in doc.get("keys", [])) if k.key_id}
        cached = _KEYS[pool_id] = (time.monotonic(), keys)
    if not key_id or key_id not in cached[1]:
        raise Denied("unknown key")
    return cached[1][key_id]


def verified_claims(clients: Clients, settings: Settings, token: str, verify_exp: bool = True) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256":
            raise Denied("algorithm")
        claims = jwt.decode(
            token,
            key=_signing_key(clients.cognito, settings.user_pool_id, header.get("kid")),
            algorithms=["RS256"],
            audience=settings.user_pool_client_id,
            issuer=_issuer(settings.user_pool_id),
            leeway=10,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"], "verify_exp": verify_exp},
        )
    except jwt.PyJWTError as exc:
        raise Denied(type(exc).__name__) from None
    if claims.get("token_use") != "id" or not (claims.get("origin_jti") or claims.get("jti")):
        raise Denied("token use")
    return claims


def _session_key(session_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"SESSION#{session_id}"}}


def get_session(clients: Clients, settings: Settings, session_id: str) -> dict[str, Any] | None:
    item = clients.ddb.get_item(
        TableName=settings.sessions_table, Key=_session_key(session_id), ConsistentRead=True
    ).get("Item")
    return outbox.plain(item) if item else None


def _check_window(portal: Portal, claims: dict[str, Any]) -> None:
    today = datetime.now(UTC).date()
    start, end = claims.get("custom:access_start"), claims.get("custom:access_end")
    if start and today < date.fromisoformat(start):
        raise SignInRefused(f"Your access to the {portal.name} has not started yet.")
    if end and today > date.fromisoformat(end):
        raise SignInRefused(f"Your access to the {portal.name} has ended.")


def identify(portal: Portal, clients: Clients, settings: Settings, token: str | None) -> dict[str, Any]:
    if not token:
        raise Denied("no session cookie")
    claims = verified_claims(clients, settings, token)
    session_id = str(claims.get("origin_jti") or claims.get("jti"))
    record = get_session(clients, settings, session_id)
    if record is None or record["portal"] != portal.portal or record["user_sub"] != claims["sub"]:
        raise Denied("no session")
    now = int(time.time())
    if now >= int(record["expires_at"]) or now - int(record["created_at"]) >= settings.session_max_hours * 3600:
        raise Denied("lifetime")
    if now - int(record["last_seen"]) >= settings.session_idle_minutes * 60:
        raise Denied("idle")
    try:
        _check_window(portal, claims)
    except SignInRefused:
        raise Denied("access window") from None
    if now - int(record["last_seen"]) >= 60:
        try:
            clients.ddb.update_item(
                TableName=settings.sessions_table,
                Key=_session_key(session_id),
                UpdateExpression="SET last_seen = :now",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    return {
        "kind": portal.kind,
        "subject_id": record["subject_id"],
        "user_sub": record["user_sub"],
        "email": record["email"],
        "session_id": session_id,
    }


def authorize(portal: Portal, clients: Clients, event: dict[str, Any]) -> dict[str, Any]:
    """A payload-2.0 REQUEST authorizer with simple responses."""
    settings = Settings.model_validate(os.environ)
    headers = event.get("headers") or {}
    raw = "; ".join(event.get("cookies") or []) or headers.get("cookie") or ""
    token = next(
        (c.split("=", 1)[1] for c in raw.split("; ") if c.startswith(f"__Host-{portal.portal}-session=")), None
    )
    try:
        context = identify(portal, clients, settings, token)
    except Denied:
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": context}


# -- the sign-in pages ----------------------------------------------------------------------------
def _email(value: str) -> str:
    value = value.strip()
    local, _, domain = value.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in value):
        raise ValueError("Enter your email address, like name@example.com.")
    return value


def _password_rules(value: str) -> str:
    if len(value) < 12 or value.lower() == value or value.upper() == value or not any(c.isdigit() for c in value):
        raise ValueError("At least 12 characters, with upper- and lower-case letters and a digit.")
    return value


class SignInForm(BaseModel):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    _check = field_validator("email")(_email)


class NewPasswordForm(BaseModel):
    new_password: Annotated[str, Field(max_length=256)]
    confirm_password: Annotated[str, Field(max_length=256)]
    _check = field_validator("new_password")(_password_rules)


class ForgotPasswordForm(BaseModel):
    email: Annotated[str, Field(max_length=254)]
    _check = field_validator("email")(_email)


class ResetPasswordForm(NewPasswordForm):
    email: Annotated[str, Field(max_length=254)]
    code: Annotated[str, Field(min_length=1, max_length=64)]
    _check_email = field_validator("email")(_email)


def auth_blueprint(portal: Portal, clients: Clients) -> Blueprint:
    """Sign-in, first new password, forgotten password, sign-out and the home page of a portal."""
    bp = Blueprint(__name__)
    forms = ["application/x-www-form-urlencoded", "application/json"]

    def settings() -> Settings:
        return Settings.model_validate(os.environ)

    def ring() -> signing.KeyRing:
        return signing.key_ring(clients.secrets, settings().link_signing_secret_arn)

    def auth_page(template: str, status: int = 200, cookies: list[str] | None = None, **context: Any) -> Response:
        token, csrf_cookie = web.issue_csrf(bp.current_request, ring())
        return web.page(
            template,
            status,
            [*(cookies or []), *([csrf_cookie] if csrf_cookie else [])],
            portal=portal,
            csrf_token=token,
            **context,
        )

    def invalid(template: str, errors: dict[str, str], **values: Any) -> Response:
        if web.wants_json(bp.current_request):
            raise ValidationFailed("Some fields need attention", field_errors=errors)
        return auth_page(template, 422, field_errors=errors, **values)

    def signed_in(tokens: dict[str, Any], email: str) -> Response:
        conf = settings()
        claims = verified_claims(clients, conf, tokens["IdToken"])
        subject_id = claims.get(portal.subject_claim)
        if not subject_id:
            raise SignInRefused(f"Your account is not linked to the {portal.name} yet.")
        _check_window(portal, claims)
        now = int(time.time())
        expires_at = min(now + conf.session_max_hours * 3600, int(claims["exp"]))
        session_id = str(claims.get("origin_jti") or claims.get("jti"))
        record = {
            "pk": f"SESSION#{session_id}",
            "session_id": session_id,
            "portal": portal.portal,
            "user_sub": claims["sub"],
            "subject_id": subject_id,
            "email": claims.get("email") or email,
            "created_at": now,
            "last_seen": now,
            "expires_at": expires_at,
        }
        who = web.actor(bp.current_request, portal.kind, subject_id)
        outbox.commit(
            clients.ddb,
            [outbox.put(conf.sessions_table, record, "attribute_not_exists(pk)")],
            [outbox.activity(portal.portal, who, "signed_in", f"{portal.kind}:{subject_id}")],
            {0: Conflict("This sign-in has already been used. Please sign in again.")},
        )
        cookies = [
            web.session_cookie(portal.portal, tokens["IdToken"], expires_at - now),
            f"__Host-{portal.portal}-challenge=; Path=/; Max-Age=0",
        ]
        if web.wants_json(bp.current_request):
            return web.json_response(
                {"signed_in": True, "email": record["email"], "subject_id": subject_id}, 200, cookies
            )
        return web.redirect(f"/{portal.portal}/", cookies)

    def outcome(answer: dict[str, Any], email: str) -> Response:
        if answer.get("AuthenticationResult"):
            return signed_in(answer["AuthenticationResult"], email)
        subject = json.dumps({"u": answer["ChallengeParameters"]["USERNAME"], "s": answer["Session"], "e": email})
        challenge = signing.sign_link(ring(), "cognito-new-password", subject, 180)
        cookies = [f"__Host-{portal.portal}-challenge={challenge}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=180"]
        url = f"/{portal.portal}/new-password"
        if web.wants_json(bp.current_request):
            return web.json_response({"signed_in": False, "next_step": "new_password", "url": url}, 200, cookies)
        return web.redirect(url, cookies)

    def refused(exc: ClientError, email: str) -> SignInRefused:
        if "disabled" in exc.response["Error"].get("Message", "").lower():
            return SignInRefused(f"Your {portal.name} account has been disabled.")
        return SignInRefused("The email address or the password is not correct.")

    @bp.route(f"/{portal.portal}/sign-in", methods=["GET"])
    def sign_in_page() -> Response:
        try:
            identify(portal, clients, settings(), web.cookie(bp.current_request, f"{portal.portal}-session"))
            return web.redirect(f"/{portal.portal}/")
        except Denied:
            pass
        return auth_page("auth/sign_in.html", notice=web.query(bp.current_request, "notice"))

    @bp.route(f"/{portal.portal}/sign-in", methods=["POST"], content_types=forms)
    def sign_in() -> Response:
        fields = web.read_form(bp.current_request, ring)
        form, errors = web.validate(SignInForm, fields)
        if form is None:
            return invalid("auth/sign_in.html", errors, email=fields.get("email", ""))
        try:
            answer = clients.cognito.initiate_auth(
                ClientId=settings().user_pool_client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": form.email, "PASSWORD": form.password},
            )
        except ClientError as exc:
            raise refused(exc, form.email) from None
        return outcome(answer, form.email)

    @bp.route(f"/{portal.portal}/new-password", methods=["GET"])
    def new_password_page() -> Response:
        challenge = web.cookie(bp.current_request, f"{portal.portal}-challenge")
        try:
            doc = json.loads(signing.verify_link(ring(), challenge or "", "cognito-new-password"))
        except PortalError:
            raise SignInRefused("Setting your new password took too long. Please sign in again.") from None
        return auth_page("auth/new_password.html", email=doc["e"])

    @bp.route(f"/{portal.portal}/new-password", methods=["POST"], content_types=forms)
    def new_password() -> Response:
        form, errors = web.validate(NewPasswordForm, web.read_form(bp.current_request, ring))
        if form is None:
            return invalid("auth/new_password.html", errors)
        try:
            doc = json.loads(
                signing.verify_link(
                    ring(), web.cookie(bp.current_request, f"{portal.portal}-challenge") or "", "cognito-new-password"
                )
            )
            answer = clients.cognito.respond_to_auth_challenge(
                ClientId=settings().user_pool_client_id,
                ChallengeName=NEW_PASSWORD_REQUIRED,
                Session=doc["s"],
                ChallengeResponses={"USERNAME": doc["u"], "NEW_PASSWORD": form.new_password},
            )
        except (PortalError, ClientError):
            raise SignInRefused("Setting your new password took too long. Please sign in again.") from None
        return outcome(answer, doc["e"])

    @bp.route(f"/{portal.portal}/forgot-password", methods=["GET"])
    def forgot_password_page() -> Response:
        return auth_page("auth/forgot_password.html")

    @bp.route(f"/{portal.portal}/forgot-password", methods=["POST"], content_types=forms)
    def forgot_password() -> Response:
        fields = web.read_form(bp.current_request, ring)
        form, errors = web.validate(ForgotPasswordForm, fields)
        if form is None:
            return invalid("auth/forgot_password.html", errors, email=fields.get("email", ""))
        try:
            clients.cognito.forgot_password(ClientId=settings().user_pool_client_id, Username=form.email)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("UserNotFoundException", "InvalidParameterException"):
                raise
        url = f"/{portal.portal}/forgot-password/confirm?" + urlencode({"email": form.email})
        if web.wants_json(bp.current_request):
            return web.json_response({"code_sent": True, "next_step": "confirm", "url": url})
        return web.redirect(url)

    @bp.route(f"/{portal.portal}/forgot-password/confirm", methods=["GET"])
    def reset_password_page() -> Response:
        return auth_page("auth/reset_password.html", email=web.query(bp.current_request, "email")[:254])

    @bp.route(f"/{portal.portal}/forgot-password/confirm", methods=["POST"], content_types=forms)
    def reset_password() -> Response:
        fields = web.read_form(bp.current_request, ring)
        form, errors = web.validate(ResetPasswordForm, fields)
        if form is None:
            return invalid("auth/reset_password.html", errors, email=fields.get("email", ""))
        try:
            clients.cognito.confirm_forgot_password(
                ClientId=settings().user_pool_client_id,
                Username=form.email,
                ConfirmationCode=form.code,
                Password=form.new_password,
            )
        except ClientError:
            raise ValidationFailed("This code is not valid.", field_errors={"code": "Check the code."}) from None
        url = f"/{portal.portal}/sign-in?notice=password-changed"
        if web.wants_json(bp.current_request):
            return web.json_response({"password_changed": True, "url": url})
        return web.redirect(url)

    @bp.route(f"/{portal.portal}/sign-out", methods=["POST"], content_types=forms)
    def sign_out() -> Response:
        conf, request = settings(), bp.current_request
        session_id = None
        token = web.cookie(request, f"{portal.portal}-session")
        if token:
            try:
                claims = verified_claims(clients, conf, token, verify_exp=False)
                session_id = str(claims.get("origin_jti") or claims.get("jti"))
            except Denied:
                session_id = None
        web.read_form(request, ring, session_id or "anonymous")
        record = get_session(clients, conf, session_id) if session_id else None
        if record is not None and record["portal"] == portal.portal:
            who = web.actor(request, portal.kind, record["subject_id"])
            outbox.commit(
                clients.ddb,
                [outbox.delete(conf.sessions_table, {"pk": f"SESSION#{session_id}"})],
                [outbox.activity(portal.portal, who, "signed_out", f"{portal.kind}:{record['subject_id']}")],
            )
        forget = [f"__Host-{portal.portal}-session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"]
        if web.wants_json(request):
            return web.json_response({"signed_out": True}, 200, forget)
        return web.redirect(f"/{portal.portal}/sign-in?notice=signed-out", forget)

    @bp.route(f"/{portal.portal}", methods=["GET"])
    def home() -> Response:
        who = web.identity(bp.current_request, portal.kind)
        if web.wants_json(bp.current_request):
            return web.json_response({"signed_in_as": who.model_dump(exclude={"session_id"})})
        return signed_in_page(bp.current_request, ring(), "home.html", portal=portal, identity=who, title="Home")

    return bp


def signed_in_page(request: Any, ring: signing.KeyRing, template: str, status: int = 200, **context: Any) -> Response:
    """A page behind the authorizer: the sign-out form's CSRF token is bound to the session."""
    who = context.get("identity")
    if who is None:
        raise Forbidden("Please sign in.")
    token, csrf_cookie = web.issue_csrf(request, ring, who.session_id)
    return web.page(template, status, [csrf_cookie] if csrf_cookie else None, csrf_token=token, **context)
