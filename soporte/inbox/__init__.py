"""inbox: what agents (and customers, for their own conversation) read over REST under /api. History, the
conversations and their status (cambiar_estado), read markers (marcar_leido), search (its indexes are
soporte.search_index, beside the models), export and preferences.
"""
