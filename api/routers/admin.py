"""POST /admin/reload: rebuild from the files on disk and swap the data in.

Admin operations are off unless an operator sets SMPKG_ADMIN_TOKEN; then a request must carry
it as `Authorization: Bearer <token>`. The client's address decides nothing (a proxy or a
forged X-Forwarded-For could make any address look local), and a request a browser marks as
coming from another site is refused even with the token, so a page open on the host cannot
drive it. One reload runs at a time: another asked for meanwhile answers 409. A build that
fails (a file that does not parse, a shape violation) answers 422 with the reason and leaves
the service on its last good data."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import lifecycle
from ..errors import render_error

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}
# Sec-Fetch-Site values of a request the user's own tools make (curl sends none).
SAME_SITE = {"same-origin", "none"}


def refusal(request: Request) -> Response | None:
    """Why this request may not run an admin operation, as the response; None if it may."""
    accept = request.headers.get("accept")
    token = request.app.state.settings.admin_token
    if not token:
        return render_error(
            accept,
            403,
            "admin operations are off: the operator has set no SMPKG_ADMIN_TOKEN",
            error="AdminOff",
        )
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if (site is not None and site not in SAME_SITE) or (origin is not None and origin != own):
        return render_error(
            accept,
            403,
            "admin operations are refused to requests from another site",
            error="CrossSite",
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        return render_error(
            accept,
            401,
            "admin operations need the admin token: Authorization: Bearer <token>",
            error="Unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="smpkg admin"'},
        )
    return None


@router.post(
    "/admin/reload",
    tags=["operations"],
    summary="Reload the data from disk",
    responses={
        401: {"description": "The admin token is missing or wrong"},
        403: {"description": "Admin operations are off, or the request came from another site"},
        409: {"description": "A reload is already running"},
        422: {"description": "The new data did not build; the service keeps its last good data"},
    },
)
async def reload(request: Request) -> Response:
    refused = refusal(request)
    if refused is not None:
        return refused
    outcome = await run_in_threadpool(lifecycle.reload, request.app)
    status = 200 if outcome.ok else 409 if outcome.busy else 422
    return JSONResponse(
        outcome.as_json(),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers={**NO_STORE, **({"Retry-After": "5"} if outcome.busy else {})},
    )
