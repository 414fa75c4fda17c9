"""Security headers: a strict Content-Security-Policy on every HTML response, and
`X-Content-Type-Options: nosniff` and `Referrer-Policy` on every response.

The policy allows only this origin: scripts, styles, images, fonts and fetches come from the
service itself (its own files under /static and the allow-listed libraries under /vendor),
never inline (no inline <script>, no style="" attribute, no on* handler) and never through
eval. A JSON-LD `<script type="application/ld+json">` is data, not script, so the policy does
not concern it. Pages may not be framed (`frame-ancestors 'none'`, and `X-Frame-Options` for
browsers that predate it).

Cross-origin reads (CORS) are allowed only on the read-only routes other sites have reason to
call: the query endpoints, the linked-data documents and dumps, and the JSON APIs. The app's
own pages, the operations routes and admin get no CORS headers, so a page on another site can
neither read them nor send them a request that needs a preflight.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
# The read-only query, data and document routes: exact paths and prefixes.
CORS_PATHS = frozenset({"/sparql", "/queries", "/ontology", "/dataset", "/openapi.json"})
CORS_PREFIXES = (
    "/queries/",
    "/id/",
    "/ontology/",
    "/ontology.",
    "/download",
    "/dataset/",
    "/graph/",
    "/.well-known/void",
    "/api/",
)


def cors_applies(path: str) -> bool:
    return path in CORS_PATHS or path.startswith(CORS_PREFIXES)


class ReadOnlyCors:
    """CORS for any origin on the read-only routes (`cors_applies`), none elsewhere."""

    def __init__(self, app: ASGIApp, expose_headers: tuple[str, ...] = ()) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_credentials=False,
            allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=list(expose_headers),
            max_age=86400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and cors_applies(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def secured(headers: list[tuple[bytes, bytes]], policy: bytes) -> list[tuple[bytes, bytes]]:
    """A response's headers with the security headers it lacks added (`ALWAYS`, and the
    Content-Security-Policy `policy` on HTML); `headers` itself is not changed."""
    present = {name.lower() for name, _ in headers}
    added = [(n, v) for n, v in ALWAYS if n not in present]
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    if content_type.lower().startswith(b"text/html"):
        added.append((b"content-security-policy", policy))
    return [*headers, *added]
