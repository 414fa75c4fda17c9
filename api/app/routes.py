"""The web app's routes: `install(app)` registers its pages (the home page at `/` among
them) and assets. Here rather than in the package's `__init__`, which any import of one of
the app's modules runs: the results page imports the app's cache, and must not load every
page module (and through them, the results page again) to get it."""

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
