"""PyMySQL's opportunistic TLS with one SSL context per process instead of one per connection.

Given no TLS option, PyMySQL 1.2 prefers TLS: it builds a default SSLContext for every
new connection (loading the system's CA store, a few ms each) and uses it if the server
offers TLS. In a connect storm the pool opens connection after connection, and that
build was a quarter of the worker's CPU. The context is the same every time, so it is
built once; TLS stays preferred, and explicit TLS options keep PyMySQL's own handling.
"""
import pymysql
from sqlalchemy import event
from sqlalchemy.engine import Engine

_preferred = None  # the context of PREFERRED mode, built by PyMySQL at the first connection


class Connection(pymysql.connections.Connection):
    """PyMySQL's connection, sharing the context of its PREFERRED TLS mode."""

    def _create_ssl_ctx(self, sslp):
        """PyMySQL's context for these options; for none ({}: PREFERRED), the one shared context."""
        global _preferred
        if sslp != {}:
            return super()._create_ssl_ctx(sslp)
        if _preferred is None:
            _preferred = super()._create_ssl_ctx(sslp)
        return _preferred


def connect(dialect, connection_record, cargs, cparams):
    """SQLAlchemy's do_connect: PyMySQL connections are this module's Connection."""
    if dialect.driver == "pymysql":
        return Connection(*cargs, **cparams)
    return None  # other drivers connect as usual


def install():
    """Make every engine of this process open PyMySQL connections with the shared context."""
    if not event.contains(Engine, "do_connect", connect):
        event.listen(Engine, "do_connect", connect)
