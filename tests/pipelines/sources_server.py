"""A real JSON API on 127.0.0.1 for the source tests: three pagination styles, throttling, failures, a bad page."""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN_HEADER = "Authorization"


class FeedbackApi(ThreadingHTTPServer):
    """Serves `items` (dicts with `created_at` ISO times) oldest first at /page, /cursor and /next.

    `faults[(path, key)]` is a queue of what to answer instead, one entry per request: an HTTP status (503, 429...)
    or "malformed"; key is the page number, the cursor or the `after` value ("" for the first request).
    `always[path]` answers every request of that path. `requests` logs every (path, query) received.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.items: list[dict] = []
        self.faults: dict[tuple[str, str], deque] = defaultdict(deque)
        self.always: dict[str, int | str] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.required_token: str | None = None
        self.retry_after = "1"
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def visible(self, since: str | None) -> list[dict]:
        items = sorted(self.items, key=lambda item: item["created_at"])
        if since:
            bound = parse_time(since)
            items = [item for item in items if parse_time(item["created_at"]) >= bound]
        return items


def parse_time(text: str) -> datetime:
    if text.isdigit():
        return datetime.fromtimestamp(int(text)).astimezone()
    if len(text) == 10:
        text += "T00:00:00Z"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Handler(BaseHTTPRequestHandler):
    server: FeedbackApi

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        api = self.server
        with api.lock:
            api.requests.append((parts.path, query))
        if api.required_token and self.headers.get(TOKEN_HEADER) != f"Bearer {api.required_token}":
            return self.answer(401, {"error": "unauthorised"})
        key = {"/page": query.get("page", ""), "/cursor": query.get("cursor", ""), "/next": query.get("after", "")}.get(
            parts.path
        )
        if key is None:
            return self.answer(404, {"error": "no such endpoint"})
        with api.lock:
            queue = api.faults.get((parts.path, key))
            fault = queue.popleft() if queue else api.always.get(parts.path)
        if fault == "malformed":
            return self.raw(200, b'{"data": [{"id": "x", "text": "cut off')
        if isinstance(fault, int):
            headers = {"Retry-After": api.retry_after} if fault == 429 else {}
            return self.answer(fault, {"error": "try later"}, headers)
        items = api.visible(query.get("since"))
        size = int(query.get("per_page", "10"))
        if parts.path == "/page":
            page = int(query.get("page", "1"))
            return self.answer(200, {"data": items[(page - 1) * size : page * size], "page": page})
        start = int(key or 0)
        chunk = items[start : start + size]
        more = start + size < len(items)
        if parts.path == "/cursor":
            return self.answer(200, {"data": chunk, "meta": {"next_cursor": str(start + size) if more else None}})
        link = f"/next?after={start + size}&per_page={size}" + (f"&since={query['since']}" if "since" in query else "")
        return self.answer(200, {"results": chunk, "links": {"next": link if more else None}})

    def answer(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        self.raw(status, json.dumps(body).encode("utf-8"), headers)

    def raw(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def start_api() -> FeedbackApi:
    api = FeedbackApi()
    threading.Thread(target=api.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return api


TEXTS = [
    "The courier was two days late and nobody answered",
    "Atendimento excelente, recomendo!",
    "Me cobraron dos veces el mismo pedido",
    "Livrarea a întârziat o săptămână",
    "Очень грубый оператор, ужасно",
    "Quick refund, thanks a lot",
]


def make_items(count: int, start_day: int = 1, prefix: str = "r") -> list[dict]:
    """`count` items, one every 7 hours from 2026-10-<start_day>, in five languages."""
    items = []
    for n in range(count):
        hours = n * 7
        day, hour = start_day + hours // 24, hours % 24
        items.append({
            "id": f"{prefix}{n:03d}",
            "text": TEXTS[n % len(TEXTS)],
            "created_at": f"2026-10-{day:02d}T{hour:02d}:00:00Z",
            "stars": 1 + n % 5,
            "author": f"@user{n}",
        })
    return items
