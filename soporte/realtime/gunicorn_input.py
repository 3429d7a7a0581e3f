"""gunicorn's socket handed to eventlet's websocket without a class made per request.

python-engineio's WSGI middleware, on every request that carries environ["gunicorn.socket"],
defines a class `Input` in the call and stores an instance as environ["eventlet.input"]
(where eventlet's websocket looks for the socket). A websocket's environ lives as long
as the socket: each idle socket kept its own class object, about 2.5 KB. Here one class
does it, before that middleware looks.
"""


class GunicornInput:
    """What eventlet's websocket asks environ["eventlet.input"] for: the connection's socket."""

    __slots__ = ("socket",)

    def __init__(self, socket):
        self.socket = socket

    def get_socket(self):
        """The client's socket (gunicorn's)."""
        return self.socket


def with_shared_input_class(wsgi_app):
    """Wrap a WSGI app (eventlet mode) so environ["eventlet.input"] is a GunicornInput."""

    def app(environ, start_response):
        """The request, its gunicorn socket moved to environ["eventlet.input"]."""
        sock = environ.pop("gunicorn.socket", None)  # engineio makes its class only when this is there
        if sock is not None:
            environ["eventlet.input"] = GunicornInput(sock)
        return wsgi_app(environ, start_response)

    return app
