"""The researchers' web app (issue 12): pages for people who do not write SPARQL, served by
the same service. `install(app)` registers its routes; the security headers of every page are
api/security.py's."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from . import assets, compare, editor, pages, pictures, vendor

log = logging.getLogger("smpkg.api")


def install(app: FastAPI) -> None:
    """Register the app's routes: its pages (the home page at `/` among them) and assets."""
    app.include_router(pages.router)
    app.include_router(pictures.router)
    app.include_router(compare.router)
    app.include_router(editor.router)
    app.include_router(assets.router)
    missing = vendor.missing()
    if missing:
        log.warning(
            "browser libraries not installed (%s): pages work without them; to add them, %s",
            ", ".join(missing),
            vendor.INSTALL_HINT,
        )
