"""Every route of the /api blueprint: importing this module puts them all on soporte.inbox.api.bp."""
from soporte.inbox import (conversations, customer_panel, export, history, labels_api, preferences,  # noqa: F401
                           presence_api, reading_api, search)
from soporte.inbox.api import bp

__all__ = ["bp"]
