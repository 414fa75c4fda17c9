"""The VoID documents of a served snapshot, put into its documents at its creation (start-up,
reload) so that no request pays for them: the build's (`smpkg.void_product`), with the
service's own URL put in when it is configured, or, when the build's do not fit this service,
rendered here. The HTML form needs a request and is made at its first (`routers.downloads`).

Apart from the router, which imports the web framework: `lifecycle` opens the data and
launches the query workers before that import (about 0.3 s of CPU), so that they load their
data meanwhile."""

from __future__ import annotations

import logging
import re

from smpkg.product_file import StaleProduct
from smpkg.release import ensure_dumps
from smpkg.void_product import PLACEHOLDER, load_void, render_void

from .snapshot import Snapshot

log = logging.getLogger("smpkg.api")

# A service URL that can go into the stored documents' text as it is: no character that
# Turtle, JSON or XML would have to escape.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")


def _stored_void(state: Snapshot, site: str) -> dict[str, bytes] | None:
    """The build's VoID documents, naming the service at `site`; None when the build has
    none fit for this service, or `site` cannot be put into them as it is."""
    if site != PLACEHOLDER and not _PLAIN_URL.fullmatch(site):
        return None
    try:
        documents = load_void(state.kg.directory, state.settings.base_iri)
    except StaleProduct as exc:
        log.info("VoID rendered for this service: %s", exc)
        return None
    if site == PLACEHOLDER:
        return documents
    return {k: body.replace(PLACEHOLDER.encode(), site.encode()) for k, body in documents.items()}


def prepare_void(state: Snapshot, root: str = "") -> None:
    """Put the VoID document in every RDF format into the snapshot's documents: read from
    the build's products, or, when they hold none fit for this service, rendered here (the
    description is made from the ontology, parsed with rdflib, and the build's statistics:
    about 0.3 s of CPU, whatever the data's size)."""
    if state.kg is None:
        return
    site = state.settings.public_url.rstrip("/") if state.settings.public_url else PLACEHOLDER
    documents = _stored_void(state, site + root)
    if documents is None:
        _, manifest = ensure_dumps(state.kg)
        documents = render_void(
            state.kg, manifest, base_iri=state.settings.base_iri, site=site + root
        )
    for key, body in documents.items():
        state.documents.put(("void", key, root), body)
