"""Static files (api/app/assets.py): the app's own, and the allow-listed libraries from
node_modules (api/app/vendor.py), with their content types and cache lifetimes."""

from __future__ import annotations

import pytest
from conftest import IN_CI

from api.app import vendor


def require_node_modules() -> None:
    missing = vendor.missing()
    if missing:
        message = f"node_modules lacks {', '.join(missing)}: run `npm ci` in the repository"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def test_own_static_files(client):
    for name, media in (("site.css", "text/css"), ("search.js", "text/javascript")):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(media)
        assert r.headers["cache-control"] == "public, max-age=3600"
        assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    ["/static/", "/static/missing.css", "/static/..%2Fsecurity.py", "/vendor/", "/vendor/d3"],
)
def test_nothing_else_is_served(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "Index of" not in r.text


def test_every_allow_listed_library_is_served(client):
    require_node_modules()
    for name, asset in vendor.ALLOWED.items():
        url = vendor.url(name)
        assert url is not None and url.startswith(f"/vendor/{asset.package}@")
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"] == asset.content_type
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert len(r.content) > 1000


def test_other_node_modules_files_are_not_served(client):
    require_node_modules()
    d3 = vendor.version("d3")
    assert client.get(f"/vendor/d3@{d3}/package.json").status_code == 404
    assert client.get(f"/vendor/d3@{d3}/d3.js").status_code == 404
    assert client.get("/vendor/d3@0.0.1/d3.min.js").status_code == 404
    axe = vendor.version("axe-core")
    assert client.get(f"/vendor/axe-core@{axe}/axe.min.js").status_code == 404


def test_without_node_modules_pages_work_and_libraries_say_how(client, tmp_path, monkeypatch):
    monkeypatch.setenv("SMPKG_NODE_MODULES", str(tmp_path))
    assert vendor.url("d3") is None
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    r = client.get("/vendor/d3@7.9.2/d3.min.js", headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert "npm ci" in r.text
