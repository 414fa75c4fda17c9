"""Where the service's log lines go, as a `logging.config.dictConfig` for uvicorn: the
`smpkg` and `uvicorn` loggers on standard error at the chosen level. The access log
(`smpkg.access`) writes its JSON lines as they are; every other line (start-up, reloads,
crashes, limits) gets a time, level and logger name. uvicorn's own access lines are left
off by the caller: the `smpkg.access` line says more."""

from __future__ import annotations


def log_config(level: str) -> dict:
    level = level.upper()

    def stderr(formatter: str) -> dict:
        return {
            "class": "logging.StreamHandler",
            "formatter": formatter,
            "stream": "ext://sys.stderr",
        }

    def logger(handler: str) -> dict:
        return {"handlers": [handler], "level": level, "propagate": False}

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json_lines": {"format": "%(message)s"},
        },
        "handlers": {"plain": stderr("plain"), "json_lines": stderr("json_lines")},
        "loggers": {
            "uvicorn": logger("plain"),
            "uvicorn.error": {"level": level},
            "smpkg": logger("plain"),
            "smpkg.access": logger("json_lines"),
        },
    }
