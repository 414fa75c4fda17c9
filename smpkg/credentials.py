"""The account smpkg uses on an external store, and HTTP authentication as the store asks.

An account comes from the store's URL (`http://user:password@host/...`, percent-encoded) or
from arguments, and the password, when neither gives one, from `SMPKG_STORE_PASSWORD` (never
from a command line, where other users of the machine could read it). The URL is then used
without its user part, so that no request line, log or message carries the password.

Stores differ in the scheme they want: Oxigraph behind a proxy or GraphDB take Basic,
Virtuoso's authenticated endpoints Digest. `StoreAuth` answers whichever the store's `401`
challenge names (RFC 7235), so one account setting works for both.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import NamedTuple
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

PASSWORD_VARIABLE = "SMPKG_STORE_PASSWORD"


class Account(NamedTuple):
    url: str  # the store's URL without its user part
    auth: httpx.Auth | None  # None: no account, anonymous requests


def password_from_env() -> str | None:
    return os.environ.get(PASSWORD_VARIABLE) or None


def account(
    url: str, user: str | None = None, password: str | None = None, *, basic_first: bool = True
) -> Account:
    """The URL without credentials and the authentication for the account: `user` (or the
    URL's user name) with `password` (or the URL's, or SMPKG_STORE_PASSWORD's)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        bare = url
    else:
        bare = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    name = user or (unquote(parts.username) if parts.username else None)
    if not name:
        return Account(bare, None)
    secret = password or (unquote(parts.password) if parts.password else None)
    secret = secret or password_from_env() or ""
    return Account(bare, StoreAuth(name, secret, basic_first=basic_first))


class StoreAuth(httpx.Auth):
    """Basic credentials sent with the first request when `basic_first`; a `401` whose
    challenge names Digest is answered with Digest (and every later request too, with the
    store's nonce), one naming Basic with Basic."""

    requires_request_body = True  # a challenged upload is sent again, so its body is kept

    def __init__(self, user: str, password: str, *, basic_first: bool = True):
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self._basic_first = basic_first
        self._digest_asked = False

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._digest_asked:
            yield from self._digest.auth_flow(request)
            return
        if self._basic_first:
            request = next(self._basic.auth_flow(request))
        response = yield request
        if response.status_code != 401:
            return
        schemes = _challenged(response)
        if not schemes and self._basic_first:
            # Refused without a challenge (Virtuoso's -auth endpoints answer Basic so): ask
            # again without credentials, which the store answers with the scheme it wants.
            request.headers.pop("Authorization", None)
            response = yield request
            if response.status_code != 401:
                return
            schemes = _challenged(response)
        if "digest" in schemes:
            self._digest_asked = True
            request.headers.pop("Authorization", None)
            flow = self._digest.auth_flow(request)
            next(flow)  # the request the challenge already answered
            try:
                retry = flow.send(response)
            except StopIteration:
                return
            yield retry
        elif "basic" in schemes and not self._basic_first:
            yield next(self._basic.auth_flow(request))


def _challenged(response: httpx.Response) -> set[str]:
    """The authentication schemes a 401 response's challenges name, lower-cased."""
    return {h.split(" ", 1)[0].lower() for h in response.headers.get_list("www-authenticate")}
