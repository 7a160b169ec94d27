"""Sign-in for the Partners portal and Leadworks: Cognito user pools, sessions, the authorizers.

How it fits together:

- ``routes/`` registers the public pages of one portal on its resolver (sign-in, first-sign-in
  password change, forgotten password, sign-out); each portal's handler modules are one line each.
- ``signin``/``signout``/``password_reset`` hold the flows; ``cognito`` is the only module that
  talks to Cognito, ``sessions`` the only one that touches SessionsTable.
- A successful sign-in puts the Cognito ID token in the ``__Host-<portal>-session`` cookie and a session item
  in SessionsTable (pk ``SESSION#<origin_jti>``), with its ``signed_in`` activity event, in one
  transaction.
- ``authorizer`` is the Lambda REQUEST authorizer of every protected route: it verifies the token
  (``tokens``: RS256 against the pool's JWKS, issuer, audience, expiry, token use), then the session
  item (idle timeout, absolute lifetime) and the access window, and passes the caller's
  ``portal_common.web.identity.Identity`` to the handler.
- ``accounts`` is for the CRM side: create users, enable/disable them, change their attributes.
"""
