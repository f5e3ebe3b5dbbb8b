"""The media types jero reads and writes by name, spelled once."""

MSGPACK = "application/msgpack"
"""MessagePack bodies, for apps that opt in (`BaseApp(msgpack=True)`)."""

MSGPACK_MEDIA_TYPES = frozenset({MSGPACK, "application/x-msgpack", "application/vnd.msgpack"})
"""Every spelling of MessagePack in the wild; request bodies in any of them decode."""
