"""relay: a message's way from an accepted socket event to its recipients and the database. accept (mensaje_privado)
validates and routes it, freshness refuses a stale reply, ids numbers it, the writer journals it to the spool and
stores it, delivery sends it once it is durable; pending merges what the writer holds unstored into what readers
read from the database; chat holds the per-app state they share.
"""
