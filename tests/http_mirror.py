"""A real HTTP server on 127.0.0.1 that serves a folder as a dataset mirror.

Besides serving files and returning 404, it can fail a file's first
requests with an HTTP status, close the connection halfway through a file
while announcing its full Content-Length, or announce a Content-Length of
half the file and send only that half.
"""

import http.server
import threading
import urllib.parse
from pathlib import Path

DROP_MID_FILE = "drop mid-file"
SHORT_CONTENT_LENGTH = "short Content-Length"


class MirrorServer(http.server.ThreadingHTTPServer):
    """Serves `folder`; `failures` and `behaviours` are keyed by file name."""

    daemon_threads = True

    def __init__(self, folder):
        super().__init__(("127.0.0.1", 0), MirrorHandler)
        self.folder = Path(folder)
        self.failures = {}  # file name -> [HTTP status, remaining count]
        self.behaviours = {}  # file name -> DROP_MID_FILE or SHORT_CONTENT_LENGTH
        self.requests = []  # file names in the order they were requested
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
        self._thread.join()

    def fail(self, name, status, times):
        """Fail the next `times` requests of `name` with HTTP `status`."""
        self.failures[name] = [status, times]


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = urllib.parse.unquote(self.path.lstrip("/"))
        self.server.requests.append(name)

        failure = self.server.failures.get(name)
        if failure and failure[1] > 0:
            failure[1] -= 1
            self.send_error(failure[0])
            return
        path = self.server.folder / name
        if not path.is_file():
            self.send_error(404)
            return

        body = path.read_bytes()
        behaviour = self.server.behaviours.get(name)
        sent = body[: len(body) // 2] if behaviour else body
        declared = len(sent) if behaviour == SHORT_CONTENT_LENGTH else len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        self.wfile.write(sent)
        self.wfile.flush()
        # BaseHTTPRequestHandler speaks HTTP/1.0, so the connection closes
        # here, before a DROP_MID_FILE body is complete.

    def log_message(self, format, *args):
        pass
