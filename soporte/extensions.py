"""Extension objects, created unbound and bound to an app in the factory."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect



class CSRFProtectOrBearer(CSRFProtect):
    """Flask-WTF's CSRF check, except on requests authenticated by a Bearer header alone (the widget's)."""

    def protect(self, *args, **kwargs):
        """Check the CSRF token unless only the Authorization header authenticates the request."""
        from soporte.accounts.tokens import bearer_only  # here: the extensions sit below the accounts layer

        if bearer_only():
            return None
        return super().protect(*args, **kwargs)


db = SQLAlchemy()
socketio = SocketIO()
csrf = CSRFProtectOrBearer()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address)  # only the routes marked with @limiter.limit
