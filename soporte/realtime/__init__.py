"""realtime: the Socket.IO layer. The event table, the one binder, the handshake, live sessions, the one emitter,
the Redis message queue, and the guards on what a client may send (event names, binary packets, frame sizes).
"""
