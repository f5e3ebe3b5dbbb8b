"""granian's native RSGI interface, as an adapter onto the app's ASGI callable.

RSGI hands the app a scope object and a protocol object whose methods talk to granian's
Rust side directly: a whole answer goes out in one `response_bytes` call instead of two
ASGI messages through the server, a file by its path, a stream through a transport. The
adapter keeps jero itself ASGI-only: it builds the ASGI scope, gives the app `receive`
and `send` callables that drive the protocol, and runs lifespan from granian's
`__rsgi_init__` / `__rsgi_del__` hooks. So every feature, middleware included, behaves
the same on both interfaces (docs/rsgi.md lists the few granian-side differences).
"""

from .http import ClientGone
from .lifespan import shutdown, startup
from .serve import serve

__all__ = ["ClientGone", "serve", "shutdown", "startup"]
