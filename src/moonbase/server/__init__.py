"""The partner portal: a FastAPI app over :mod:`moonbase.store`, with a static dashboard.

``create_app(Settings(data_dir=...))`` builds the app; ``moonbase serve`` runs it with uvicorn.
"""

from moonbase.extras import require_extra

require_extra("server", "moonbase.server")  # one line naming the extra, not a deep ImportError

from moonbase.server.app import Settings, create_app  # noqa: E402

__all__ = ["Settings", "create_app"]
