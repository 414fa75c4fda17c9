"""Static files: the app's own (`/static/{name}`, the files of api/static) and the
allow-listed browser libraries from node_modules (`/vendor/{package}@{version}/{file}`, see
vendor.py). Only named files are served: no directory listing, no path outside the list."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from smpkg.errors import NotFound

from . import vendor

router = APIRouter()
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
CONTENT_TYPES = {
    ".css": vendor.CSS,
    ".js": vendor.JS,
    ".mjs": vendor.JS,
    ".json": vendor.JSON,
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# The app's own files change with the code under the same URL: an hour, then revalidate.
OWN_CACHE = "public, max-age=3600"
# A library's URL carries its version: the file behind it never changes.
VENDOR_CACHE = "public, max-age=31536000, immutable"


def own_files() -> dict[str, Path]:
    """The servable files of api/static, by name (read once, at start-up)."""
    return {
        p.name: p for p in sorted(STATIC_DIR.iterdir()) if p.is_file() and p.suffix in CONTENT_TYPES
    }


OWN = own_files()


@router.api_route("/static/{name}", methods=["GET", "HEAD"], include_in_schema=False)
async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    path = OWN.get(name)
    if path is None:
        raise NotFound(f"no static file {name!r}")
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[path.suffix],
        headers={"Cache-Control": OWN_CACHE},
    )


@router.api_route("/vendor/{spec:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def vendor_file(request: Request) -> Response:
    spec = request.path_params["spec"]
    package_at_version, _, file = spec.rpartition("/")
    found = vendor.resolve(package_at_version, file)
    if found is None:
        hint = f"; {vendor.INSTALL_HINT}" if vendor.missing() else ""
        raise NotFound(f"no library file {spec!r} is served here{hint}")
    asset, path = found
    return FileResponse(
        path, media_type=asset.content_type, headers={"Cache-Control": VENDOR_CACHE}
    )
