"""Every route of the /api blueprint: importing this module puts them all on soporte.inbox.api.bp."""
from soporte.inbox import (conversations, export, history, preferences, presence_api, reading_api,  # noqa: F401
                           reports_api, search)
from soporte.inbox.api import bp

__all__ = ["bp"]
