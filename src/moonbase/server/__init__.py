"""The partner portal: a FastAPI app over :mod:`moonbase.store`, with a static dashboard.

``create_app(Settings(data_dir=...))`` builds the app; ``moonbase serve`` runs it with uvicorn.
"""

from moonbase.server.app import Settings, create_app

__all__ = ["Settings", "create_app"]
