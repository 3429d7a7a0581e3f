"""Every route of the /api blueprint: importing this module puts them all on soporte.inbox.api.bp."""
from soporte.inbox import canned_api, conversations, export, history, preferences, presence_api, reading_api, search  # noqa: F401
from soporte.inbox.api import bp

__all__ = ["bp"]
