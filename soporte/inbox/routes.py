"""Every route of the /api blueprint: importing this module puts them all on soporte.inbox.api.bp."""
from soporte.inbox import (attachments_api, canned_api, conversation_list, conversations, customer_panel,  # noqa: F401
                           edit_history, export, history, hours_api, labels_api, preferences, presence_api,
                           ratings_api, reading_api, reports_api, search)
from soporte.inbox.api import bp
from soporte.privacy import api as privacy_api  # noqa: F401  (the customer's data: its routes are on bp too)

__all__ = ["bp"]
