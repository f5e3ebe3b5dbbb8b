"""Typed WebSockets: `WebSocketEndpoint` classes whose hook names are the protocol."""
