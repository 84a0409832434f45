"""The read-only web UI and JSON API (``policywatch web``); see :mod:`archive.web.app`."""

from __future__ import annotations

from collections.abc import Mapping

from ..api import Archive
from .app import create_app, openapi_spec

__all__ = ["create_app", "openapi_spec", "serve"]


def serve(
    archive: Archive,
    *,
    host: str = "127.0.0.1",
    port: int = 8011,
    source_names: Mapping[str, str] | None = None,
) -> None:
    """Serve the UI until interrupted (loopback only unless ``host`` says otherwise)."""
    import uvicorn

    app = create_app(archive, source_names=source_names)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
