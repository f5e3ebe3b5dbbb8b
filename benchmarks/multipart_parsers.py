"""Pick a streaming multipart/form-data parser for jero's form binding.

Each candidate gets a small adapter that is pushed the request body in chunks, the way an
ASGI ``receive`` loop delivers it, and turns the library's callbacks/events into three
sink calls: ``start(PartHead)``, ``data(bytes)`` (zero or more), ``end()``. That is all a
framework needs to spool file parts to disk without holding a part in memory.

The script prints a correctness matrix (every valid case is fed in several chunkings,
including 1-byte and 7-byte chunks), a throughput table and a recommendation.

    uv run python benchmarks/multipart_parsers.py
"""

import logging
import os
import random
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import ClassVar, Protocol

# --------------------------------------------------------------------------- event model


@dataclass(slots=True)
class PartHead:
    name: str | None
    filename: str | None
    content_type: str | None  # media type only, lower-case, no parameters
    headers: list[tuple[str, str]]


class Sink(Protocol):
    def start(self, head: PartHead) -> None: ...
    def data(self, chunk: bytes) -> None: ...
    def end(self) -> None: ...


class AdapterError(Exception):
    """Raised by an adapter (not by the library) after spotting a bad stream through
    the library's public API, e.g. input ended without the library's end signal."""


class Adapter(Protocol):
    label: ClassVar[str]
    dist: ClassVar[str]
    errors: ClassVar[tuple[type[Exception], ...]]  # the library's documented errors

    def feed(self, chunk: bytes) -> None: ...
    def close(self) -> None: ...


type AdapterFactory = Callable[[str, Sink], Adapter]


# --------------------------------------------------------------------------- adapters


class DefnullAdapter:
    """``multipart`` (defnull): sans-IO ``PushMultipartParser.parse(chunk)`` is a generator
    of events: a ``MultipartSegment`` (headers), ``bytes`` (body), ``None`` (end)."""

    label: ClassVar[str] = "multipart"
    dist: ClassVar[str] = "multipart"
    errors: ClassVar[tuple[type[Exception], ...]] = ()  # set by _bind_errors()
    fit: ClassVar[str] = (
        "sans-IO: parse(chunk) yields MultipartSegment / bytes / None; "
        "parse(b'') or close() validates the end"
    )

    def __init__(self, content_type: str, sink: Sink) -> None:
        import multipart as mp

        _, options = mp.parse_options_header(content_type)
        if not options.get("boundary"):
            raise AdapterError("no boundary parameter in Content-Type")
        self._segment_type = mp.MultipartSegment
        self._parser = mp.PushMultipartParser(options["boundary"])
        self._sink = sink

    def feed(self, chunk: bytes) -> None:
        sink = self._sink
        for event in self._parser.parse(chunk):
            if event is None:
                sink.end()
            elif isinstance(event, self._segment_type):
                sink.start(
                    PartHead(event.name, event.filename, event.content_type, event.headerlist)
                )
            else:
                sink.data(event)

    def close(self) -> None:
        # An empty chunk signals end of input; raises ParserError if the closing
        # boundary was not seen.
        self.feed(b"")


class PythonMultipartAdapter:
    """``python-multipart``: callback-style ``MultipartParser.write(chunk)``; headers
    arrive as byte slices (field/value, possibly split across chunks)."""

    label: ClassVar[str] = "python-multipart"
    dist: ClassVar[str] = "python-multipart"
    errors: ClassVar[tuple[type[Exception], ...]] = ()
    fit: ClassVar[str] = (
        "sans-IO callbacks (9 of them, raw header bytes to reassemble and parse); "
        "finalize() does not check the end, on_end must be tracked"
    )

    def __init__(self, content_type: str, sink: Sink) -> None:
        from python_multipart import MultipartParser
        from python_multipart.multipart import parse_options_header

        self._options = parse_options_header
        _, options = parse_options_header(content_type)
        if not options.get(b"boundary"):
            raise AdapterError("no boundary parameter in Content-Type")
        self._sink = sink
        self._field = bytearray()
        self._value = bytearray()
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._finished = False
        self._parser = MultipartParser(
            options[b"boundary"],
            {
                "on_part_begin": self._raw_headers.clear,
                "on_header_field": self._on_field,
                "on_header_value": self._on_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_data,
                "on_part_end": sink.end,
                "on_end": self._on_end,
            },
        )

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._raw_headers.append((bytes(self._field), bytes(self._value)))
        self._field.clear()
        self._value.clear()

    def _on_headers_finished(self) -> None:
        name = filename = content_type = None
        headers: list[tuple[str, str]] = []
        for raw_name, raw_value in self._raw_headers:
            key = raw_name.decode("latin-1")
            headers.append((key, raw_value.decode("utf-8", "replace")))
            lowered = key.lower()
            if lowered == "content-disposition":
                _, params = self._options(raw_value)  # bytes in, latin-1 round trip
                name = _utf8(params.get(b"name"))
                filename = _utf8(params.get(b"filename"))
            elif lowered == "content-type":
                content_type = self._options(raw_value)[0].decode("latin-1") or None
        if name is None:
            raise AdapterError("part without Content-Disposition name")
        self._sink.start(PartHead(name, filename, content_type, headers))

    def _on_data(self, data: bytes, start: int, end: int) -> None:
        self._sink.data(data[start:end])

    def _on_end(self) -> None:
        self._finished = True

    def feed(self, chunk: bytes) -> None:
        self._parser.write(chunk)

    def close(self) -> None:
        self._parser.finalize()  # does not validate (documented TODO in the library)
        if not self._finished:
            raise AdapterError("input ended before the closing boundary (no on_end)")


def _utf8(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")


class StreamingFormDataAdapter:
    """``streaming-form-data``: targets registered per field name; a catch-all is built
    with ``register(name, target, matches=...)``, whose predicate is the only place the
    part name is visible. Only name, filename and content type are exposed, and the
    content type is set *after* ``start`` when Content-Type follows Content-Disposition,
    so ``start`` is deferred to the first data chunk or the finish."""

    label: ClassVar[str] = "streaming-form-data"
    dist: ClassVar[str] = "streaming-form-data"
    errors: ClassVar[tuple[type[Exception], ...]] = ()
    fit: ClassVar[str] = (
        "targets registered per field name; no part name/headers on the target, "
        "no end-of-input check, pulls smart-open + aiofiles"
    )

    def __init__(self, content_type: str, sink: Sink) -> None:
        from streaming_form_data import StreamingFormDataParser
        from streaming_form_data.targets import BaseTarget

        adapter = self

        class Tap(BaseTarget):
            def on_start(self) -> None:
                adapter._open = True
                adapter._announced = False

            def on_data_received(self, chunk: bytes) -> None:
                adapter._announce()
                adapter._sink.data(chunk)

            def on_finish(self) -> None:
                adapter._announce()
                adapter._open = False
                adapter._sink.end()
                self.multipart_content_type = None  # else it leaks into the next part

        self._sink = sink
        self._name: str | None = None
        self._open = False
        self._announced = False
        self._tap = Tap()
        self._parser = StreamingFormDataParser({"Content-Type": content_type})
        self._parser.register("*", self._tap, matches=self._match)

    def _match(self, _registered: str, name: str) -> bool:
        self._name = name
        return True

    def _announce(self) -> None:
        if not self._announced:
            self._announced = True
            tap = self._tap
            head = PartHead(self._name, tap.multipart_filename, tap.multipart_content_type, [])
            self._sink.start(head)

    def feed(self, chunk: bytes) -> None:
        self._parser.data_received(chunk)

    def close(self) -> None:
        # No end-of-input API: the best the adapter can see is a part left open.
        if self._open:
            raise AdapterError("input ended inside a part")


def _bind_errors() -> None:
    import multipart as mp
    from python_multipart.exceptions import FormParserError
    from streaming_form_data.parser import ParseFailedException

    DefnullAdapter.errors = (mp.MultipartError,)
    PythonMultipartAdapter.errors = (FormParserError,)
    StreamingFormDataAdapter.errors = (ParseFailedException,)


ADAPTERS: tuple[type[DefnullAdapter | PythonMultipartAdapter | StreamingFormDataAdapter], ...] = (
    DefnullAdapter,
    PythonMultipartAdapter,
    StreamingFormDataAdapter,
)

# --------------------------------------------------------------------------- bodies

B = b"jeroBoundary7MA4YWxkTrZu0gW"
CT = "multipart/form-data; boundary=" + B.decode()


def disposition(name: str, filename: bytes | None = None) -> bytes:
    line = b'Content-Disposition: form-data; name="' + name.encode() + b'"'
    if filename is not None:
        line += b'; filename="' + filename + b'"'
    return line


def build(
    parts: list[tuple[list[bytes], bytes]],
    boundary: bytes = B,
    preamble: bytes = b"",
    epilogue: bytes = b"",
    close: bool = True,
) -> bytes:
    out = [preamble]
    for headers, data in parts:
        out += [b"--", boundary, b"\r\n", *(h + b"\r\n" for h in headers), b"\r\n", data, b"\r\n"]
    if close:
        out += [b"--", boundary, b"--\r\n", epilogue]
    return b"".join(out)


def text_field(name: str, value: str) -> tuple[list[bytes], bytes]:
    return [disposition(name)], value.encode()


def tricky_binary(boundary: bytes, size: int = 6000) -> bytes:
    """Random bytes salted with sequences that look like (parts of) a delimiter."""
    rng = random.Random(7)
    salts = [
        b"--" + boundary,  # boundary not preceded by CRLF
        b"--" + boundary + b"--",  # closing-boundary look-alike, no CRLF before it
        b"--" + boundary + b"\r\n",
        b"\r\n--" + boundary[:-1],  # delimiter missing its last byte
        b"\r\n--" + boundary[:-1] + b"\r\n",
        b"\n--" + boundary,  # LF only
        b"\r\r\n--" + boundary[:5],
        b"\r\n-",
        b"\r\n--",
        b"\r",
        b"\r\n\r\n",
        b"\x00\xff\xfe",
    ]
    chunks: list[bytes] = []
    while sum(map(len, chunks)) < size:
        chunks += [rng.randbytes(rng.randrange(1, 400)), rng.choice(salts)]
    data = b"".join(chunks) + b"\r\n--" + boundary[:-3] + b"\r"  # ends in a partial match
    assert b"\r\n--" + boundary not in data + b"\r\n--" + boundary[:-1]
    return data


# --------------------------------------------------------------------------- cases


@dataclass(slots=True)
class Want:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None
    header: tuple[str, str] | None = None  # must be exposed in PartHead.headers


@dataclass(slots=True)
class Got:
    head: PartHead
    data: bytearray = field(default_factory=bytearray)
    ended: bool = False
    max_event: int = 0


class Recorder:
    def __init__(self) -> None:
        self.parts: list[Got] = []
        self.protocol_error: str | None = None

    def start(self, head: PartHead) -> None:
        if self.parts and not self.parts[-1].ended:
            self.protocol_error = "start before end of previous part"
        self.parts.append(Got(head))

    def data(self, chunk: bytes) -> None:
        if not self.parts or self.parts[-1].ended:
            self.protocol_error = "data outside a part"
            return
        got = self.parts[-1]
        got.data += chunk
        got.max_event = max(got.max_event, len(chunk))

    def end(self) -> None:
        if not self.parts or self.parts[-1].ended:
            self.protocol_error = "end outside a part"
            return
        self.parts[-1].ended = True


type Check = Callable[[list[Got], int], str | None]  # (parts, chunk size) -> failure or None


@dataclass(slots=True)
class Case:
    key: str
    body: bytes
    want: list[Want] | None  # None: parts are judged by `check` only
    content_type: str = CT
    malformed: bool = False  # the body must be rejected
    check: Check | None = None  # extra check on top of `want`
    chunkings: tuple[int, ...] = (65536, 7, 1)


def compare(parts: list[Got], want: list[Want]) -> str | None:
    if len(parts) != len(want):
        return f"{len(parts)} parts, expected {len(want)}"
    for i, (got, exp) in enumerate(zip(parts, want, strict=True)):
        head = got.head
        if not got.ended:
            return f"part {i}: no end event"
        if head.name != exp.name:
            return f"part {i}: name {head.name!r}"
        if bytes(got.data) != exp.data:
            return f"part {i} ({exp.name}): data differs ({len(got.data)}/{len(exp.data)} B)"
        if head.filename != exp.filename:
            return f"part {i}: filename {head.filename!r}"
        if head.content_type != exp.content_type:
            return f"part {i}: content_type {head.content_type!r}"
        if exp.header and exp.header not in [(k.lower(), v) for k, v in head.headers]:
            return f"part {i}: header {exp.header[0]!r} not exposed"
    return None


def cases() -> list[Case]:
    binary = tricky_binary(B)
    eur = "€ résumé.txt"
    quoted = b"----jero boundary:=?(x)"
    big = random.Random(3).randbytes(256 * 1024)
    many = [text_field(f"f{i}", f"value-{i}") for i in range(1000)]
    octet = b"Content-Type: application/octet-stream"
    padded = build([text_field("a", "1"), text_field("b", "2")])  # RFC 2046 LWSP padding

    def streamed(parts: list[Got], chunk: int) -> str | None:
        limit = 2 * chunk + len(B) + 8  # bounded look-behind is fine; a whole part is not
        if parts and parts[0].max_event > limit:
            return f"a {parts[0].max_event} B data event for {chunk} B chunks (buffers)"
        return None

    def star(parts: list[Got], _chunk: int) -> str | None:
        head = parts[0].head
        if head.filename == eur:
            return None  # decoded
        if any("filename*=" in v for _, v in head.headers):
            return None  # ignored (RFC 7578 §4.2 forbids it) but the raw header is exposed
        return f"filename {head.filename!r} and raw header not exposed"

    def one_part(parts: list[Got], chunk: int) -> str | None:
        return f"{len(parts)} parts" if len(parts) != 1 else star(parts, chunk)

    file_part = ([disposition("upload", b"blob.bin"), octet], binary)
    valid = [
        Case(
            "simple fields",
            build([text_field("a", "1"), text_field("b", "hello world"), text_field("c", "ü€")]),
            [Want("a", b"1"), Want("b", b"hello world"), Want("c", "ü€".encode())],
        ),
        Case(
            "binary file w/ boundary-like bytes",
            build([text_field("x", "1"), file_part, text_field("y", "2")]),
            [
                Want("x", b"1"),
                Want("upload", binary, "blob.bin", "application/octet-stream"),
                Want("y", b"2"),
            ],
        ),
        Case(
            "quoted boundary in Content-Type",
            build([text_field("a", "1"), file_part], boundary=quoted),
            [Want("a", b"1"), Want("upload", binary, "blob.bin", "application/octet-stream")],
            content_type='multipart/form-data; charset=utf-8; boundary="' + quoted.decode() + '"',
        ),
        Case(
            "filename raw UTF-8",
            build([([disposition("f", eur.encode()), b"Content-Type: text/plain"], b"x")]),
            [Want("f", b"x", eur, "text/plain")],
        ),
        Case(
            'WHATWG-escaped quote: "a%22b.txt"',
            build([([disposition("f", b"a%22b.txt")], b"x")]),
            [Want("f", b"x", 'a"b.txt')],
        ),
        Case(
            "filename* (RFC 5987)",
            build(
                [
                    (
                        [
                            b'Content-Disposition: form-data; name="f"; '
                            b"filename*=UTF-8''%E2%82%AC%20r%C3%A9sum%C3%A9.txt",
                        ],
                        b"x",
                    )
                ]
            ),
            None,
            check=one_part,
        ),
        Case(
            "empty parts",
            build([text_field("e", ""), ([disposition("file", b""), octet], b"")]),
            [Want("e", b""), Want("file", b"", "", "application/octet-stream")],
        ),
        Case(
            "text preamble",
            build([text_field("a", "1")], preamble=b"This is the preamble.\r\n--not-it\r\n"),
            [Want("a", b"1")],
        ),
        Case(
            "epilogue (text)",
            build([text_field("a", "1")], epilogue=b"This is the epilogue.\r\n"),
            [Want("a", b"1")],
        ),
        Case(
            "epilogue holding a delimiter",
            build([text_field("a", "1")], epilogue=b"bye\r\n--" + B + b"\r\n"),
            [Want("a", b"1")],
        ),
        Case(
            "1,000 parts",
            build(many),
            [Want(f"f{i}", f"value-{i}".encode()) for i in range(1000)],
        ),
        Case(
            "Content-Type before Content-Disp.",
            build(
                [
                    ([b"Content-Type: text/plain", disposition("a", b"a.txt")], b"A"),
                    ([b"Content-Type: text/csv", disposition("b", b"b.csv")], b"B"),
                ]
            ),
            [Want("a", b"A", "a.txt", "text/plain"), Want("b", b"B", "b.csv", "text/csv")],
        ),
        Case(
            "all part headers exposed",
            build([([disposition("a"), b"X-Trace: t-1"], b"1")]),
            [Want("a", b"1", header=("x-trace", "t-1"))],
        ),
        Case(
            "padding after first delimiter",
            padded.replace(b"--" + B + b"\r\n", b"--" + B + b" \t\r\n", 1),
            [Want("a", b"1"), Want("b", b"2")],
        ),
        Case(
            "padding after later delimiter",
            padded.replace(b"\r\n--" + B + b"\r\n", b"\r\n--" + B + b" \t\r\n"),
            [Want("a", b"1"), Want("b", b"2")],
        ),
        Case("no parts (closing boundary only)", b"--" + B + b"--\r\n", []),
        Case(
            "256 KiB part is streamed",
            build([([disposition("big", b"big.bin"), octet], big)]),
            [Want("big", big, "big.bin", "application/octet-stream")],
            check=streamed,
            chunkings=(65536, 1000),
        ),
    ]
    good = build([text_field("a", "1"), file_part])
    unclosed = build([text_field("a", "1")], close=False)

    def bad(key: str, body: bytes, content_type: str = CT) -> Case:
        return Case(key, body, None, content_type, malformed=True)

    invalid = [
        bad("missing closing boundary", unclosed),
        bad("ends right after a delimiter", unclosed + b"--" + B),
        bad("truncated in part data", good[: len(good) // 2]),
        bad("truncated in part headers", good[: good.index(b"blob.bin")]),
        bad("header line without colon", build([([disposition("a"), b"X-Broken"], b"1")])),
        bad("no Content-Disposition", build([([b"Content-Type: text/plain"], b"1")])),
        bad("body uses another boundary", build([text_field("a", "1")], boundary=b"other")),
        bad("empty body", b""),
        bad("no boundary= in Content-Type", good, "multipart/form-data"),
    ]
    return valid + invalid


# --------------------------------------------------------------------------- runner


def feed_all(
    factory: AdapterFactory, content_type: str, body: bytes, chunk: int, sink: Sink
) -> None:
    """Deliver `body` the way an ASGI server does: a run of `http.request` chunks."""
    adapter = factory(content_type, sink)
    for piece in split(body, chunk):
        adapter.feed(piece)
    adapter.close()


def run_valid(adapter: type, case: Case) -> tuple[bool, str]:
    for chunk in case.chunkings:
        rec = Recorder()
        try:
            feed_all(adapter, case.content_type, case.body, chunk, rec)
        except Exception as exc:
            return False, f"FAIL@{chunk}B: {type(exc).__name__}: {str(exc)[:60]}"
        problem = rec.protocol_error
        if problem is None and case.want is not None:
            problem = compare(rec.parts, case.want)
        if problem is None and case.check is not None:
            problem = case.check(rec.parts, chunk)
        if problem:
            return False, f"FAIL@{chunk}B: {problem}"
    return True, "ok"


def run_malformed(adapter: type, case: Case) -> tuple[bool, str]:
    """ok = the library raised one of its documented errors for every chunking."""
    verdicts: list[tuple[int, str]] = []
    for chunk in case.chunkings:
        rec = Recorder()
        try:
            feed_all(adapter, case.content_type, case.body, chunk, rec)
        except AdapterError:
            verdicts.append((1, "adapter check"))
        except adapter.errors as exc:
            verdicts.append((0, f"raises {type(exc).__name__}"))
        except Exception as exc:
            verdicts.append((2, f"crash: {type(exc).__name__}"))
        else:
            verdicts.append((3, f"SILENT ({len(rec.parts)} parts)"))
    rank, text = max(verdicts)
    return rank == 0, text


# --------------------------------------------------------------------------- throughput


class Counter:
    __slots__ = ("nbytes", "parts")

    def __init__(self) -> None:
        self.nbytes = 0
        self.parts = 0

    def start(self, head: PartHead) -> None:
        self.parts += 1

    def data(self, chunk: bytes) -> None:
        self.nbytes += len(chunk)

    def end(self) -> None:
        pass


def best_of(runs: int, adapter: type, chunks: list[bytes], repeat: int) -> tuple[float, Counter]:
    best = float("inf")
    sink = Counter()
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(repeat):
            sink = Counter()
            parser = adapter(CT, sink)
            for c in chunks:
                parser.feed(c)
            parser.close()
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best, sink


def split(body: bytes, step: int) -> list[bytes]:
    return [body[i : i + step] for i in range(0, len(body), step)]


def throughput() -> dict[str, tuple[float, float, float]]:
    """MB/s for a 50 MB file part (64 KiB and 4 KiB chunks) and parts/s for 1,000 fields."""
    payload = os.urandom(50 * 1024 * 1024)
    big = build([([disposition("file", b"big.bin"), b"Content-Type: video/mp4"], payload)])
    small = build([text_field(f"field{i}", f"value number {i}") for i in range(1000)])
    big_64k, big_4k, small_64k = split(big, 65536), split(big, 4096), split(small, 65536)
    results: dict[str, tuple[float, float, float]] = {}
    for adapter in ADAPTERS:
        rates: list[float] = []
        for chunks in (big_64k, big_4k):
            secs, sink = best_of(3, adapter, chunks, 1)
            assert sink.nbytes == len(payload) and sink.parts == 1, adapter.label
            rates.append(len(payload) / secs / 1e6)
        secs, sink = best_of(3, adapter, small_64k, 5)
        assert sink.parts == 1000, adapter.label
        results[adapter.label] = (rates[0], rates[1], 1000 / secs)
    return results


# --------------------------------------------------------------------------- maintenance


def upload_dates() -> dict[str, str]:
    lock = Path(__file__).resolve().parent.parent / "uv.lock"
    if not lock.exists():
        return {}
    dates: dict[str, str] = {}
    for pkg in tomllib.loads(lock.read_text())["package"]:
        stamp = (pkg.get("sdist") or {}).get("upload-time") or next(
            (w.get("upload-time") for w in pkg.get("wheels", [])), None
        )
        if stamp:
            dates[pkg["name"]] = stamp[:10]
    return dates


def maintenance() -> list[tuple[str, str, str, str, str]]:
    dates = upload_dates()
    rows = []
    for adapter in ADAPTERS:
        meta = metadata.metadata(adapter.dist)
        status = next(
            (c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if "Status" in c),
            "?",
        )
        deps = ", ".join(r.split(";")[0].split(">")[0] for r in meta.get_all("Requires-Dist") or [])
        rows.append(
            (adapter.label, meta["Version"], dates.get(adapter.dist, "?"), status, deps or "none")
        )
    return rows


# --------------------------------------------------------------------------- main


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *map(line, rows)])


@dataclass(slots=True)
class Score:
    valid_ok: int = 0
    valid_total: int = 0
    raised: int = 0  # malformed body rejected by the library itself
    adapter: int = 0  # library silent, adapter caught it through the public API
    silent: int = 0  # accepted (or crashed with a non-library exception)
    malformed_total: int = 0


def main() -> None:
    logging.getLogger("python_multipart").setLevel(logging.ERROR)  # warns on every bad body
    _bind_errors()
    labels = [a.label for a in ADAPTERS]
    scores = {label: Score() for label in labels}
    rows: list[list[str]] = []
    t0 = time.perf_counter()
    for case in cases():
        cells = []
        for adapter in ADAPTERS:
            sc = scores[adapter.label]
            if case.malformed:
                ok, text = run_malformed(adapter, case)
                sc.malformed_total += 1
                sc.raised += ok
                sc.adapter += text == "adapter check"
                sc.silent += not ok and text != "adapter check"
            else:
                ok, text = run_valid(adapter, case)
                sc.valid_total += 1
                sc.valid_ok += ok
            cells.append(text)
        rows.append(["malformed" if case.malformed else "valid", case.key, *cells])
    print("## Correctness (chunkings 64 KiB, 7 B, 1 B unless noted)\n")
    print(table(["kind", "case", *labels], rows))
    print(
        "\nvalid: 'ok' for every chunking, else the first failing chunking. malformed: "
        "'raises X' = documented library error; 'adapter check' = library silent, caught by "
        "the adapter via the public API; 'SILENT' = accepted; 'crash' = undocumented error."
        f"\n(correctness took {time.perf_counter() - t0:.1f}s)\n"
    )

    print("## Throughput (best of 3)\n")
    perf = throughput()
    print(
        table(
            [
                "parser",
                "50 MB file @64 KiB, MB/s",
                "50 MB file @4 KiB, MB/s",
                "1,000 fields, parts/s",
            ],
            [[k, *(f"{x:,.0f}" for x in v)] for k, v in perf.items()],
        )
    )

    print("\n## Maintenance\n")
    print(
        table(
            ["parser", "version", "uploaded", "dev status", "runtime deps"],
            [list(r) for r in maintenance()],
        )
    )

    print("\n## Summary\n")
    for label, sc in scores.items():
        print(
            f"{label}: valid {sc.valid_ok}/{sc.valid_total}, malformed rejected by library "
            f"{sc.raised}/{sc.malformed_total}, by adapter {sc.adapter}, silent {sc.silent}"
        )

    def rank(label: str) -> tuple[int, int, int, float]:
        sc = scores[label]
        return (sc.valid_ok, -sc.silent, sc.raised, perf[label][0])

    print("\nAPI fit:")
    for adapter in ADAPTERS:
        print(f"  {adapter.label}: {adapter.fit}")

    best = max(ADAPTERS, key=lambda a: rank(a.label))
    sc = scores[best.label]
    print(
        f"\nRecommendation: {best.label} (valid {sc.valid_ok}/{sc.valid_total}, "
        f"{sc.raised}/{sc.malformed_total} malformed bodies rejected by the library, "
        f"{perf[best.label][0]:,.0f} MB/s, {perf[best.label][2]:,.0f} parts/s); {best.fit}."
    )


if __name__ == "__main__":
    main()
