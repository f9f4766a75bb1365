"""The one way this project serves a built site over http (build.py --serve, the tests, the
benchmarks): correct types for .mjs/.wasm, and the page's Content-Security-Policy sent as a
header on every response. The page carries the policy in a <meta> too (all a file:// page can
have), but a meta reaches only the page: the worker, which runs the learner's edited code, is
held to it by the header alone (no request to another origin, no script from one)."""
import functools
import http.server
import re
import threading
from pathlib import Path


def page_policy(site):
    """The Content-Security-Policy of site/index.html's <meta>."""
    html = (Path(site) / 'index.html').read_text(encoding='utf-8')
    return re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      '.wasm': 'application/wasm', '.mjs': 'text/javascript',
                      '.js': 'text/javascript', '.whl': 'application/zip'}
    policy = ''
    cache = 'no-cache'

    def end_headers(self):
        self.send_header('Cache-Control', self.cache)
        self.send_header('Content-Security-Policy', self.policy)
        super().end_headers()

    def log_message(self, *args):
        pass


def handler(site, cache='no-cache'):
    return functools.partial(type('Handler', (SiteHandler,), {'policy': page_policy(site), 'cache': cache}),
                             directory=str(site))


def serve_in_thread(site, cache='no-store', port=0):
    """Serve site on 127.0.0.1 in a thread; returns (base_url, server)."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', port), handler(site, cache))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f'http://127.0.0.1:{server.server_address[1]}/', server
