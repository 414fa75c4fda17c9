"""The one Settings object: read once from the environment (prefix SMPKG_), overridable in
tests by constructing it directly or with `Settings.from_env(overrides)`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

# The base of every IRI the project mints (smpkg.namespaces builds its namespaces on it).
DEFAULT_BASE = "https://w3id.org/smpkg/"
# The validators of the build and `smpkg validate` (smpkg.validate): the fast one, the reference.
VALIDATORS = ("compiled", "pyshacl")

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_root() -> Path:
    return _REPO_ROOT


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=_default_root)
    base_iri: str = DEFAULT_BASE
    engine: str = "oxigraph"
    reasoner: str = "rules"
    validator: str = "compiled"
    host: str = "127.0.0.1"
    port: int = 8340
    cache_dir: Path | None = None
    query_timeout: float = 10.0
    max_rows: int = 10_000
    max_request_bytes: int = 1_048_576
    query_workers: int = 2
    # Query workers copy an on-disk store of up to this many triples into memory, where a
    # query runs about twice as fast as on the read-only on-disk store; larger stores are
    # shared on disk by every worker. 0: always on disk.
    memory_store_up_to: int = 500_000
    # Whole responses kept for identical requests (api.middleware.ResponseCache); 0: none.
    response_cache_entries: int = 4096
    dataset: tuple[Path, ...] = ()
    store_url: str | None = None
    public_url: str | None = None
    # POST /admin/reload answers only a request bearing this token; none set: admin is off.
    admin_token: str | None = None
    # The proxies whose X-Forwarded-For/-Proto the server believes (comma-separated
    # addresses, or "*"); none set: forwarded headers are ignored.
    trusted_proxies: str | None = None
    # The access log names each query by its hash; with this on it prints the text too.
    log_queries: bool = False

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.ontology_dir / "shapes"

    @property
    def checks_dir(self) -> Path:
        return self.ontology_dir / "checks"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def cache_path(self) -> Path:
        return self.cache_dir or (self.root / ".cache" / "smpkg")

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if environ is None else environ
        # Each value coerced to its field's type by `_coerce`, by name: typed at run time.
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"SMPKG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, raw)
        if "store_url" not in values and env.get("SMPKG_STORE"):
            values["store_url"] = env["SMPKG_STORE"]  # the name the issue gives it
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def to_env(self) -> dict[str, str]:
        """These settings as SMPKG_ variables, which `from_env` reads back into equal
        settings: how `smpkg serve --workers N` hands them to its server processes."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "dataset":
                value = os.pathsep.join(str(p) for p in value)
            out[f"SMPKG_{f.name.upper()}"] = str(value)
        return out

    def check(self) -> None:
        if self.engine not in ("rdflib", "oxigraph"):
            raise ConfigurationError(
                f"SMPKG_ENGINE must be 'rdflib' or 'oxigraph', not {self.engine!r}"
            )
        if self.reasoner not in ("rules", "owlrl"):
            raise ConfigurationError(
                f"SMPKG_REASONER must be 'rules' or 'owlrl', not {self.reasoner!r}"
            )
        if self.memory_store_up_to < 0:
            raise ConfigurationError("SMPKG_MEMORY_STORE_UP_TO must be 0 or more")
        if self.validator not in VALIDATORS:
            raise ConfigurationError(
                f"SMPKG_VALIDATOR must be one of {', '.join(VALIDATORS)}, not {self.validator!r}"
            )
        if self.query_timeout <= 0:
            raise ConfigurationError("SMPKG_QUERY_TIMEOUT must be positive")
        if not self.base_iri.endswith("/"):
            raise ConfigurationError("SMPKG_BASE_IRI must end with '/'")


def _coerce(name: str, raw: str):
    try:
        if name in (
            "port",
            "max_rows",
            "max_request_bytes",
            "query_workers",
            "memory_store_up_to",
            "response_cache_entries",
        ):
            return int(raw)
        if name == "query_timeout":
            return float(raw)
        if name in ("root", "cache_dir"):
            return Path(raw)
        if name == "log_queries":
            if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
                raise ValueError("expected true or false")
            return raw.lower() in ("1", "true", "yes")
        if name == "dataset":
            return tuple(Path(p) for p in raw.split(os.pathsep) if p)
    except ValueError as exc:
        raise ConfigurationError(f"SMPKG_{name.upper()}={raw!r}: {exc}") from None
    return raw
