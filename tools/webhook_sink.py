#!/usr/bin/python3
"""A local webhook receiver for slad's demo and integration tests.

Standard library only (Debian's /usr/bin/python3). It accepts any POST,
records it, and answers according to its mode:

  ok         200 with a body every supported format reads as success
             ({"ok":true,"errcode":0,"code":0,...})
  fail500    500 Internal Server Error
  ratelimit  429 Too Many Requests with "Retry-After: N" (--retry-after)
  errcode    200 but with an error code in the body, as Feishu, DingTalk
             and WeCom report errors
  hang       read the request, never answer, close after --hang-seconds
             (or at once when the mode is switched or the sink stops)

Every request other than the control endpoints below is appended as one JSON
line {"seq","time","method","path","query","headers","body","json","status"}
to the --record file (if given), kept in memory, and summarised in one line on
stdout. Connections are HTTP/1.1 keep-alive.

Control endpoints (not recorded):
  GET    /requests                 recorded requests as a JSON array
  DELETE /requests                 forget the recorded requests
  GET    /control                  current modes as JSON
  POST   /control?mode=M           switch the default mode
  POST   /control?mode=M&path=P    mode for paths starting with P only
  POST   /control?mode=M&count=N   mode M for the next N requests, then back
  POST   /control?reset=1          default mode ok, overrides dropped

--port 0 binds a free port; the port is printed in the first line
("webhook_sink: listening on http://HOST:PORT") and written to --port-file.
"""

import argparse
import datetime
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MODES = ("ok", "fail500", "ratelimit", "errcode", "hang")
MAX_BODY = 16 * 1024 * 1024


class SinkState:
    """Modes and recorded requests, shared by the handler threads."""

    def __init__(self, mode, record_path, retry_after, hang_seconds, quiet):
        self.lock = threading.Lock()
        self.default_mode = mode
        self.path_modes = {}          # path prefix -> mode
        self.counted = []             # [mode, remaining] for the next requests
        self.requests = []
        self.seq = 0
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.quiet = quiet
        self.wake = threading.Event()  # set to release hanging requests
        self.record = open(record_path, "a", encoding="utf-8") if record_path else None

    def mode_for(self, path):
        """Mode for one request; consumes one use of a counted mode."""
        with self.lock:
            if self.counted:
                entry = self.counted[0]
                entry[1] -= 1
                if entry[1] <= 0:
                    self.counted.pop(0)
                return entry[0]
            best = None
            for prefix, mode in self.path_modes.items():
                if path.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                    best = (prefix, mode)
            return best[1] if best else self.default_mode

    def set_mode(self, mode, path=None, count=None):
        with self.lock:
            if count is not None:
                self.counted.append([mode, count])
            elif path:
                self.path_modes[path] = mode
            else:
                self.default_mode = mode
        # Anything hanging under the old mode is let go.
        self.wake.set()
        self.wake = threading.Event()

    def reset(self):
        with self.lock:
            self.default_mode = "ok"
            self.path_modes.clear()
            self.counted.clear()
        self.wake.set()
        self.wake = threading.Event()

    def describe(self):
        with self.lock:
            return {"mode": self.default_mode, "paths": dict(self.path_modes),
                    "counted": [list(c) for c in self.counted],
                    "recorded": len(self.requests)}

    def add(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.requests.append(entry)
            if self.record:
                self.record.write(json.dumps(entry, sort_keys=True) + "\n")
                self.record.flush()
        if not self.quiet:
            print(summary(entry), flush=True)

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def clear(self):
        with self.lock:
            self.requests.clear()


def pick(obj, *names):
    """First of names found at the top of obj or one level down."""
    if not isinstance(obj, dict):
        return None
    for name in names:
        if name in obj and not isinstance(obj[name], (dict, list)):
            return obj[name]
    for value in obj.values():
        if isinstance(value, dict):
            found = pick(value, *names)
            if found is not None:
                return found
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            found = pick(value[0], *names)
            if found is not None:
                return found
    return None


def summary(entry):
    """One human line per request: time, method, path, status, key fields."""
    parts = [entry["time"][11:23], entry["method"], entry["path"],
             str(entry["status"]), "%dB" % len(entry["body"])]
    body = entry.get("json")
    fields = []
    if body is not None:
        for name in ("kind", "ticket", "metric", "level"):
            value = pick(body, name)
            if value is not None:
                fields.append("%s=%s" % (name, value))
    if fields:
        parts.extend(fields)
    elif entry["body"]:
        text = " ".join(entry["body"].split())
        parts.append(text[:80] + ("..." if len(text) > 80 else ""))
    return "webhook_sink: " + " ".join(parts)


class SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "webhook_sink/1"

    # The default logs every request to stderr; the summary line replaces it.
    def log_message(self, fmt, *args):
        pass

    @property
    def state(self):
        return self.server.state

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                if len(data) + size > MAX_BODY:
                    raise ValueError("body too large")
                data += self.rfile.read(size)
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def reply(self, status, body=b"", content_type="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_control(self, url, query):
        if url.path == "/requests":
            if self.command == "GET":
                self.reply(200, self.state.snapshot())
            elif self.command == "DELETE":
                self.state.clear()
                self.reply(200, {"ok": True})
            else:
                self.reply(405, {"error": "GET or DELETE"})
            return
        # /control
        if self.command == "GET":
            self.reply(200, self.state.describe())
            return
        if self.command != "POST":
            self.reply(405, {"error": "GET or POST"})
            return
        if query.get("reset"):
            self.state.reset()
            self.reply(200, self.state.describe())
            return
        mode = query.get("mode", [None])[0]
        if mode not in MODES:
            self.reply(400, {"error": "mode must be one of " + " ".join(MODES)})
            return
        count = query.get("count", [None])[0]
        try:
            count = int(count) if count is not None else None
        except ValueError:
            self.reply(400, {"error": "count must be an integer"})
            return
        self.state.set_mode(mode, path=query.get("path", [None])[0], count=count)
        self.reply(200, self.state.describe())

    def handle_any(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        try:
            raw = self.read_body()
        except (ValueError, OSError):
            self.reply(400, {"error": "unreadable body"})
            self.close_connection = True
            return
        if url.path in ("/requests", "/control"):
            self.handle_control(url, query)
            return

        mode = self.state.mode_for(url.path)
        text = raw.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        now = datetime.datetime.now(datetime.timezone.utc)
        status = {"ok": 200, "errcode": 200, "fail500": 500,
                  "ratelimit": 429, "hang": 0}[mode]
        self.state.add({
            "time": now.isoformat(timespec="milliseconds"),
            "time_ms": int(now.timestamp() * 1000),
            "method": self.command, "path": url.path, "query": url.query,
            "headers": headers, "body": text, "json": parsed,
            "mode": mode, "status": status,
        })

        if mode == "ok":
            self.reply(200, {"ok": True, "errcode": 0, "errmsg": "ok",
                             "code": 0, "msg": "success", "StatusCode": 0})
        elif mode == "errcode":
            self.reply(200, {"ok": False, "errcode": 310000,
                             "errmsg": "simulated error", "code": 19021,
                             "msg": "simulated error", "error": "simulated_error"})
        elif mode == "fail500":
            self.reply(500, {"error": "simulated failure"})
        elif mode == "ratelimit":
            self.reply(429, {"error": "rate limited"},
                       extra={"Retry-After": str(self.state.retry_after)})
        else:  # hang: no answer; let go on a mode switch or at shutdown
            self.state.wake.wait(self.state.hang_seconds)
            self.close_connection = True

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET = do_HEAD = handle_any


class SinkServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, state):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        super().__init__(address, SinkHandler)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Record webhook requests; answer per mode.",
        epilog="Control: GET/DELETE /requests, GET/POST /control?mode=M[&path=P][&count=N]")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8089, help="port, 0 for any free (8089)")
    parser.add_argument("--port-file", help="write the bound port to this file")
    parser.add_argument("--record", help="append each request as a JSON line here")
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--retry-after", type=int, default=2,
                        help="seconds in Retry-After for ratelimit (2)")
    parser.add_argument("--hang-seconds", type=float, default=3600.0,
                        help="how long hang holds a request (3600)")
    parser.add_argument("--quiet", action="store_true", help="no summary lines")
    args = parser.parse_args(argv)

    state = SinkState(args.mode, args.record, args.retry_after, args.hang_seconds,
                      args.quiet)
    server = SinkServer((args.host, args.port), state)
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    host = "[%s]" % args.host if ":" in args.host else args.host
    print("webhook_sink: listening on http://%s:%d mode=%s" % (host, port, args.mode),
          flush=True)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        state.wake.set()
        server.server_close()
        if state.record:
            state.record.close()
        # Give released handler threads a moment to close their sockets.
        time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main())
