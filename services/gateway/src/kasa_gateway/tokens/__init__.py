"""The credentials the gateway hands out and checks: signing keys and the JWKS, access tokens,
opaque secrets (refresh tokens, session cookies, invitation links) kept only as hashes, CSRF
tokens, the memo of live browser sessions, and password hashes."""
