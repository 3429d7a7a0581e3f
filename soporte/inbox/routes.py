"""Every route of the /api blueprint: importing this module puts them all on soporte.inbox.api.bp."""
from soporte.inbox import (canned_api, conversation_list, conversations, customer_panel, export, history,  # noqa: F401
                           hours_api, labels_api, preferences, presence_api, ratings_api, reading_api, reports_api,
                           search)
from soporte.inbox.api import bp

__all__ = ["bp"]
