// The benchmark API on Bun's built-in HTTP server (Bun.serve), no framework.
//
// It serves exactly the bodies the Python apps serve (benchmarks/apps/__init__.py):
// objects are built with keys in the Structs' field order and JSON.stringify writes
// compact JSON, so the bytes are identical. JavaScript has no typed decoder, so bodies
// are checked by hand for the fields and types the Python apps' Structs require.
// Usage: bun server.js PORT [REUSE_PORT] (listens on 127.0.0.1 only; REUSE_PORT=1 lets
// several processes share the port, which is how Bun runs more than one worker).

const port = Number(process.argv[2] ?? 8000);
const reusePort = process.argv[3] === "1";
const JSON_HEADERS = { "content-type": "application/json" };

const ITEMS = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item-${i}`, limit: i % 10 }));

function json(status, value) {
  return new Response(JSON.stringify(value), { status, headers: JSON_HEADERS });
}

function text(status, message) {
  return new Response(message, { status, headers: { "content-type": "text/plain" } });
}

function asItem(value) {
  if (
    value === null || typeof value !== "object" ||
    !Number.isInteger(value.id) || typeof value.name !== "string" || !Number.isInteger(value.limit)
  ) {
    return null;
  }
  return { id: value.id, name: value.name, limit: value.limit };
}

// The parsed JSON body, or a Response (415, 400) when it is not usable.
async function readJSON(request) {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType !== "application/json") return text(415, "expected application/json");
  try {
    return { value: JSON.parse(await request.text()) };
  } catch (error) {
    return text(400, String(error));
  }
}

async function createItem(request) {
  const body = await readJSON(request);
  if (body instanceof Response) return body;
  const item = asItem(body.value);
  return item ? json(201, item) : text(422, "expected an Item");
}

async function createBatch(request) {
  const body = await readJSON(request);
  if (body instanceof Response) return body;
  const items = body.value?.items;
  if (!Array.isArray(items)) return text(422, "expected {items: [...]}");
  let idSum = 0;
  for (const value of items) {
    const item = asItem(value);
    if (!item) return text(422, "expected an Item");
    idSum += item.id;
  }
  return json(201, { count: items.length, id_sum: idSum });
}

function readItem(url, slot) {
  if (!/^-?\d+$/.test(slot)) return text(404, "not found");
  const raw = url.searchParams.get("limit");
  const limit = raw === null ? 10 : Number(raw);
  if (!Number.isInteger(limit)) return text(400, "limit must be an integer");
  return json(200, { id: Number(slot), name: "item", limit });
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  reusePort,
  async fetch(request) {
    const url = new URL(request.url);
    const { pathname } = url;
    const method = request.method;
    if (method === "GET" && pathname === "/ping") return json(200, { message: "pong" });
    if (method === "GET" && pathname === "/list") return json(200, ITEMS);
    if (method === "POST" && pathname === "/items") return createItem(request);
    if (method === "POST" && pathname === "/bulk") return createBatch(request);
    if (method === "GET" && pathname.startsWith("/items/")) {
      const slot = pathname.slice("/items/".length);
      if (slot && !slot.includes("/")) return readItem(url, slot);
    }
    return text(404, "not found");
  },
});

// benchmarks/servers.py counts these lines to know every process sharing the port is up.
console.log(`listening on ${server.hostname}:${server.port}`);
