"""The workbench's HTTP server: the standard library's ``ThreadingHTTPServer``.

Why not uvicorn + an ASGI framework: the workbench is one planner's local tool with five
JSON endpoints and one page; each request is a sub-second, CPU-bound re-plan that holds
the interpreter anyway, so an event loop buys nothing, and two more dependencies (with
their own release cadence) would be the price. The standard library binds 127.0.0.1,
serves the page and the plotly bundle from the installed plotly package (offline), and
stops on Ctrl-C (``serve_forever`` returns, the socket is closed).

Endpoints: ``GET /`` (the page), ``GET /plotly.min.js``, ``GET /api/state`` (scenario and
levers), ``POST /api/plan`` (levers -> plan), ``POST /api/save`` ({name, levers} ->
variant YAML written to the output folder), ``GET /api/compare?a=..&b=..``.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from ..errors import GigawattError
from .workbench import Workbench

#: largest request body accepted, bytes (a lever setting is a few kB)
MAX_BODY = 1_000_000


def plotly_bundle() -> bytes:
    """plotly.js from the installed plotly package (no network)."""
    import plotly

    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()


def page() -> bytes:
    return resources.files("gigawatt.app").joinpath("page.html").read_bytes()


def _json_safe(obj: Any) -> Any:
    """NaN/inf -> None, so the answer is strict JSON."""
    if isinstance(obj, float):
        return obj if obj == obj and abs(obj) != float("inf") else None
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


class App:
    """The workbench behind the server, one request at a time (the solver is not
    re-entrant and a re-plan is CPU-bound)."""

    def __init__(self, bench: Workbench, out_dir: Path) -> None:
        self.bench = bench
        self.out_dir = out_dir
        self.lock = threading.Lock()
        self._bundle: bytes | None = None

    def bundle(self) -> bytes:
        if self._bundle is None:
            self._bundle = plotly_bundle()
        return self._bundle

    def state(self) -> dict[str, Any]:
        sc = self.bench.scenario
        return {"scenario": sc.id, "name": sc.name, "levers": self.bench.levers(),
                "variants": list(self.bench.variants), "out_dir": str(self.out_dir)}

    def save(self, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("name") or "").strip()
        if not name:
            raise GigawattError("a variant needs a name (field 'name')")
        vid, text = self.bench.save(name, body.get("levers") or {})
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{vid}.yaml"
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return {"name": name, "id": vid, "path": str(path), "variants": list(self.bench.variants)}


def make_handler(app: App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "gigawatt-app"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: no access log
            return

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, doc: Any) -> None:
            self._send(status, json.dumps(_json_safe(doc)).encode(), "application/json")

        def _answer(self, fn: Any) -> None:
            try:
                with app.lock:
                    doc = fn()
            except GigawattError as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": exc.render()})
            except (ValueError, TypeError, KeyError) as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": f"bad request: {exc}"})
            else:
                self._json(HTTPStatus.OK, doc)

        def _body(self) -> dict[str, Any]:
            n = int(self.headers.get("Content-Length") or 0)
            if n > MAX_BODY:
                raise ValueError(f"request body of {n} bytes; allowed: <= {MAX_BODY}")
            doc = json.loads(self.rfile.read(n) or b"{}")
            if not isinstance(doc, dict):
                raise ValueError("expected a JSON object")
            return doc

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            if url.path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, page(), "text/html; charset=utf-8")
            elif url.path == "/favicon.ico":
                self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
            elif url.path == "/plotly.min.js":
                self._send(HTTPStatus.OK, app.bundle(), "application/javascript")
            elif url.path == "/api/state":
                self._answer(app.state)
            elif url.path == "/api/compare":
                q = parse_qs(url.query)
                self._answer(lambda: {"rows": app.bench.compare(q.get("a", [""])[0],
                                                                q.get("b", [""])[0])})
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {url.path}"})

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            try:
                body = self._body()
            except (ValueError, json.JSONDecodeError) as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": f"bad request: {exc}"})
                return
            if url.path == "/api/plan":
                self._answer(lambda: app.bench.evaluate(body.get("levers") or {},
                                                        risk=bool(body.get("risk", True))))
            elif url.path == "/api/save":
                self._answer(lambda: app.save(body))
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint: {url.path}"})

    return Handler


def make_server(app: App, host: str = "127.0.0.1", port: int = 8050) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0: any free port); call ``serve_forever``."""
    server = ThreadingHTTPServer((host, port), make_handler(app))
    server.daemon_threads = True
    return server
