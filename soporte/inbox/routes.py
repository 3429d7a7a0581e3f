"""Every route of the /api blueprint: importing this module puts them all on soporte.inbox.api.bp."""
from soporte.inbox import conversations, export, history, preferences, reading_api, search  # noqa: F401
from soporte.inbox.api import bp
from soporte.presence import online  # noqa: F401 (/api/presencia)

__all__ = ["bp"]
