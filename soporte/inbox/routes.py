"""Every route of the /api blueprint: importing this module puts them all on soporte.inbox.api.bp."""
from soporte.inbox import (attachments_api, canned_api, conversation_list, conversations, customer_panel, export, history,  # noqa: F401
                           labels_api, preferences, presence_api, reading_api, reports_api, search)
from soporte.inbox.api import bp

__all__ = ["bp"]
