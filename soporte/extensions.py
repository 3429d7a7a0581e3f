"""Extension objects, created unbound and bound to an app in the factory."""
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

db = SQLAlchemy()
socketio = SocketIO()
csrf = CSRFProtect()
