"""The ASGI entry point: `uvicorn app.asgi:app` (logging configured, as in each server process)."""

from app.logs import configure_logging
from app.main import create_app

configure_logging()
app = create_app()
