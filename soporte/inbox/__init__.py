"""inbox: what agents (and customers, for their own conversation) read over REST under /api. History, the
conversations and their status (cambiar_estado), read markers (marcar_leido), search, export and preferences.
"""
