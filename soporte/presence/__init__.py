"""presence: who is online (sockets counted per account on every process, /api/presencia, seguir_presencia) and
who is typing (escribiendo).
"""
