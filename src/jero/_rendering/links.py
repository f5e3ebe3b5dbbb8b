"""`Link`: one web link (RFC 8288) in the form a `Link` response header carries."""

from __future__ import annotations

__all__ = ["Link"]


class Link:
    """`Link("/widgets?page=3", rel="next")` is `</widgets?page=3>; rel="next"`.

    `str(link)` is the header value of one link; `Link.join(a, b)` of several. Put it in
    a typed response header field `link: str`, or in `raw_headers`.
    """

    __slots__ = ("params", "rel", "url")

    def __init__(self, url: str, *, rel: str, **params: str) -> None:
        for text in (url, rel, *params.values()):
            if any(c in text for c in '<>"\r\n') or not text.isascii():
                raise ValueError(f"a Link value cannot hold {text!r} (quotes, <, > or CR/LF)")
        self.url = url
        self.rel = rel
        self.params = params

    def __str__(self) -> str:
        extra = "".join(f'; {name}="{value}"' for name, value in self.params.items())
        return f'<{self.url}>; rel="{self.rel}"{extra}'

    def __repr__(self) -> str:
        return f"Link({self.url!r}, rel={self.rel!r})"

    @staticmethod
    def join(*links: Link) -> str:
        """The header value of several links, comma-separated."""
        return ", ".join(str(link) for link in links)
