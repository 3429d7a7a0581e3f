"""realtime: the Socket.IO layer. The one binder (for the rows of soporte.event_table), the handshake, live
sessions, the one emitter, the Redis message queue, and the guards on what a client may send (event names, binary
packets, frame sizes).
"""
