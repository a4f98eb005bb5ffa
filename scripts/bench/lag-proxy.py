#!/usr/bin/env python3
"""A recording reverse proxy for scripts/bench-provisioning.sh: forwards every request to a SCIM target and, for
each request body carrying a displayName "lag-<epoch ms>", records how long after that moment it arrived.
GET /__lag answers the samples as JSON. Loopback only."""
import http.client
import http.server
import json
import re
import sys
import threading
import time

listen_port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
samples = []
lock = threading.Lock()
local = threading.local()
stamp = re.compile(rb'"lag-(\d{13})"')


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        if self.path == "/__lag":
            with lock:
                body = json.dumps(samples).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if body:
            now = time.time() * 1000
            for match in stamp.finditer(body):
                with lock:
                    samples.append(now - int(match.group(1)))
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type", "accept")}
        try:
            local.conn.request(self.command, self.path, body=body, headers=headers)
            response = local.conn.getresponse()
        except (http.client.HTTPException, OSError):
            local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
            local.conn.request(self.command, self.path, body=body, headers=headers)
            response = local.conn.getresponse()
        data = response.read()
        self.send_response(response.status)
        for key in ("Content-Type", "Location", "ETag"):
            if response.getheader(key):
                self.send_header(key, response.getheader(key))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward


http.server.ThreadingHTTPServer(("127.0.0.1", listen_port), Proxy).serve_forever()
