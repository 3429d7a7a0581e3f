"""No permessage-deflate on websockets: chat frames are small, and compressing them is dear.

Browsers and socket.io-client offer the extension and eventlet accepts it, after
which every frame to every socket goes through zlib, with a compressor of a few
hundred KB kept per socket. Measured here (bench/): with it, one process
saturated near 1,000 msg/s and 10,000 idle sockets would not fit in 1.5 GB.
"""


def without_websocket_compression(wsgi_app):
    """Wrap a WSGI app so the websocket handshake never negotiates compression."""

    def app(environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return app
