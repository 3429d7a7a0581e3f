"""`python -m soporte`: the development server, with real websockets."""
import os

from soporte import create_app
from soporte.extensions import socketio

os.environ.setdefault("FLASK_DEBUG", "1")
app = create_app()
socketio.run(app, host=os.environ.get("SOPORTE_HOST", "127.0.0.1"),
             port=int(os.environ.get("SOPORTE_PORT", "5000")), debug=True, use_reloader=False)
