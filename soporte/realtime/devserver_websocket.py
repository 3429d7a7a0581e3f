"""Under Werkzeug's development server (`flask run`), a websocket's end closes its connection quietly.

simple-websocket takes over Werkzeug's socket for a websocket and, when it is over,
raises ConnectionError so that Werkzeug writes no HTTP response on it. With
`flask run --debug` Werkzeug's debugger sits outside the app and catches that
error first: it prints its traceback and writes a 500 page, logged as a 500, once
per closed websocket (a logout closes them all). Without the debugger, Werkzeug
keeps reading the connection as HTTP and logs the client's close frame as a bad
request. gunicorn and eventlet never see any of this (no "werkzeug.socket").
"""
import contextlib
import socket


def is_werkzeug_websocket(environ):
    """Whether this request is a websocket upgrade that Werkzeug's server hands over."""
    return "werkzeug.socket" in environ and environ.get("HTTP_UPGRADE", "").lower() == "websocket"


def websocket_ends_quietly(wsgi_app):
    """Wrap Socket.IO's WSGI app: a finished websocket is answered as a closed 101, not an error."""

    def app(environ, start_response):
        if not is_werkzeug_websocket(environ):
            return wsgi_app(environ, start_response)
        try:
            return wsgi_app(environ, start_response)
        except ConnectionError:
            # The websocket is over. No more bytes go out on this connection: Werkzeug's
            # write of the status line below fails with BrokenPipeError, which it takes
            # for a dropped connection (silently); before that it logs the request as
            # 101 and, for "Connection: close", stops reading the connection as HTTP.
            with contextlib.suppress(OSError):
                environ["werkzeug.socket"].shutdown(socket.SHUT_WR)
            start_response("101 Switching Protocols", [("Connection", "close")])
            return []

    return app
