"""A small WebDriver BiDi client for Debian's firefox-esr (Playwright cannot drive a stock Firefox).

    with Firefox() as ff:
        tab = ff.new_tab()
        tab.navigate(url)
        tab.wait_for('document.body.dataset.state === "ready"', timeout=60)
        tab.click_button('Train')

Firefox runs headless with a throwaway profile whose prefs stop it calling home (updates,
telemetry, safe browsing, captive portal, ...), so every request a test sees is the page's own.
Commands are JSON over one websocket (PyPI websocket-client); a reader thread hands replies to
their callers and events to listeners.
"""
import base64
import itertools
import json
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import websocket

# Prefs that keep Firefox off the network; security.fileuri.strict_origin_policy stays at its
# default (true), as a learner's Firefox has it, because file:// is what the tests check.
QUIET_PREFS = {
    'app.update.disabledForTesting': True,
    'app.update.auto': False,
    'app.normandy.enabled': False,
    'app.shield.optoutstudies.enabled': False,
    'browser.shell.checkDefaultBrowser': False,
    'browser.startup.page': 0,
    'browser.startup.homepage': 'about:blank',
    'browser.newtabpage.enabled': False,
    'browser.newtabpage.activity-stream.feeds.system.topstories': False,
    'browser.newtabpage.activity-stream.feeds.section.topstories': False,
    'browser.topsites.contile.enabled': False,
    'browser.discovery.enabled': False,
    'browser.search.update': False,
    'browser.safebrowsing.malware.enabled': False,
    'browser.safebrowsing.phishing.enabled': False,
    'browser.safebrowsing.downloads.enabled': False,
    'browser.safebrowsing.blockedURIs.enabled': False,
    'browser.safebrowsing.provider.mozilla.updateURL': '',
    'browser.safebrowsing.provider.google4.updateURL': '',
    'datareporting.healthreport.uploadEnabled': False,
    'datareporting.policy.dataSubmissionEnabled': False,
    'toolkit.telemetry.enabled': False,
    'toolkit.telemetry.unified': False,
    'toolkit.telemetry.server': '',
    'network.captive-portal-service.enabled': False,
    'network.connectivity-service.enabled': False,
    'network.dns.disablePrefetch': True,
    'network.prefetch-next': False,
    'network.http.speculative-parallel-limit': 0,
    'network.trr.mode': 5,
    'extensions.update.enabled': False,
    'extensions.getAddons.cache.enabled': False,
    'extensions.blocklist.enabled': False,
    'services.settings.server': 'data:,#remote-settings-off',
    'media.gmp-manager.url': '',
    'media.gmp-gmpopenh264.enabled': False,
    'geo.provider.network.url': '',
    'security.OCSP.enabled': 0,
    'security.fileuri.strict_origin_policy': True,
}


class BiDiError(RuntimeError):
    pass


class Firefox:
    """One headless firefox-esr process and its BiDi session."""

    def __init__(self, binary='firefox-esr', start_timeout=60):
        self.profile = Path(tempfile.mkdtemp(prefix='mgv-firefox-'))
        (self.profile / 'user.js').write_text(
            ''.join(f'user_pref({json.dumps(k)}, {json.dumps(v)});\n' for k, v in QUIET_PREFS.items()))
        self.proc = subprocess.Popen(
            [shutil.which(binary) or binary, '--headless', '--no-remote', '--remote-debugging-port=0',
             '--profile', str(self.profile)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        url = self._read_ws_url(start_timeout)
        self.ws = websocket.create_connection(url + '/session', timeout=None, suppress_origin=True)
        self._ids = itertools.count(1)
        self._replies = {}
        self._lock = threading.Lock()
        self._listeners = []
        threading.Thread(target=self._read, daemon=True).start()
        self.command('session.new', {'capabilities': {'alwaysMatch': {'acceptInsecureCerts': False}}})

    def _read_ws_url(self, timeout):
        found = queue.Queue()

        def drain():  # Firefox writes to stderr for its whole life; keep reading so it never blocks
            for line in self.proc.stderr:
                self.stderr_lines.append(line.rstrip())
                m = re.search(r'WebDriver BiDi listening on (ws://\S+)', line)
                if m:
                    found.put(m.group(1))
        threading.Thread(target=drain, daemon=True).start()
        try:
            return found.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise BiDiError('firefox-esr did not start its BiDi server:\n' + '\n'.join(self.stderr_lines[-20:]))

    def _read(self):
        while True:
            try:
                message = json.loads(self.ws.recv())
            except Exception:  # socket closed: wake every waiting caller
                for box in list(self._replies.values()):
                    box.put({'type': 'error', 'error': 'closed', 'message': 'connection closed'})
                return
            if 'id' in message and message['id'] in self._replies:
                self._replies[message['id']].put(message)
            elif message.get('type') == 'event':
                for fn in list(self._listeners):
                    fn(message['method'], message['params'])

    def command(self, method, params=None, timeout=120):
        """Send one command and return its result (raises BiDiError on an error reply)."""
        box = queue.Queue()
        with self._lock:
            id_ = next(self._ids)
            self._replies[id_] = box
            self.ws.send(json.dumps({'id': id_, 'method': method, 'params': params or {}}))
        try:
            reply = box.get(timeout=timeout)
        except queue.Empty:
            raise BiDiError(f'{method}: no reply in {timeout} s') from None
        finally:
            self._replies.pop(id_, None)
        if reply.get('type') == 'error':
            raise BiDiError(f"{method}: {reply.get('error')}: {reply.get('message')}")
        return reply['result']

    def subscribe(self, events, listener):
        """listener(method, params) for each of these events, from the reader thread."""
        self._listeners.append(listener)
        self.command('session.subscribe', {'events': list(events)})

    def new_tab(self, width=1440, height=900):
        context = self.command('browsingContext.create', {'type': 'tab'})['context']
        self.command('browsingContext.setViewport',
                     {'context': context, 'viewport': {'width': width, 'height': height}})
        return Tab(self, context)

    def close(self):
        try:
            if getattr(self, 'ws', None):
                try:
                    self.command('session.end', timeout=5)
                except Exception:
                    pass
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Tab:
    """One browsing context: navigate, read and act on the page through its DOM."""

    def __init__(self, firefox, context):
        self.ff, self.context = firefox, context

    def navigate(self, url):
        self.ff.command('browsingContext.navigate', {'context': self.context, 'url': url, 'wait': 'complete'})

    def evaluate(self, expression):
        """The JSON value of a JS expression (awaited if it is a promise), evaluated in the page."""
        result = self.ff.command('script.evaluate', {
            'expression': f'(async () => JSON.stringify(await ({expression})))()',
            'target': {'context': self.context}, 'awaitPromise': True, 'resultOwnership': 'none'})
        if result['type'] == 'exception':
            raise BiDiError(f"{expression}: {result['exceptionDetails'].get('text')}")
        value = result['result']
        return None if value['type'] == 'undefined' else json.loads(value['value'])

    def wait_for(self, expression, timeout=60, interval=0.05):
        """Poll until the expression is truthy (like expect(): a condition, not a fixed sleep)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f'not true after {timeout} s: {expression}')
            time.sleep(interval)

    def wait_state(self, state, timeout=60):
        self.wait_for(f'document.body.dataset.state === {json.dumps(state)}', timeout)

    def state(self):
        return self.evaluate('document.body.dataset.state')

    def click(self, role, name):
        """Click the enabled element with this role and visible text, as a user would."""
        found = self.evaluate(f'''(() => {{
            const name = {json.dumps(name)}, role = {json.dumps(role)};
            const all = [...document.querySelectorAll(role === 'button' ? 'button, [role=button]' : `[role=${{role}}]`)];
            const el = all.find((e) => (e.getAttribute('aria-label') || e.textContent).trim() === name
                                        && (e.getAttribute('role') || 'button') === role && !e.hidden);
            if (!el || el.disabled || el.getAttribute('aria-disabled') === 'true') return false;
            el.click();
            return true;
        }})()''')
        if not found:
            raise BiDiError(f'no enabled {role} named {name!r}')

    def click_button(self, name):
        self.click('button', name)

    def fill(self, label, value):
        """Type into the input whose <label> reads `label`, and tell the page like typing does."""
        ok = self.evaluate(f'''(() => {{
            const label = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === {json.dumps(label)});
            const input = label && label.control;
            if (!input) return false;
            input.focus();
            input.value = {json.dumps(str(value))};
            input.dispatchEvent(new Event('input', {{bubbles: true}}));
            input.dispatchEvent(new Event('change', {{bubbles: true}}));
            return true;
        }})()''')
        if not ok:
            raise BiDiError(f'no input labelled {label!r}')

    def text(self, selector):
        return self.evaluate(f'(document.querySelector({json.dumps(selector)}) || {{}}).textContent ?? null')

    def screenshot(self, path):
        data = self.ff.command('browsingContext.captureScreenshot', {'context': self.context})['data']
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        self.ff.command('browsingContext.close', {'context': self.context})


class Recorder:
    """Every request and console entry Firefox reports, from every tab of the session."""

    def __init__(self, firefox):
        self.requests, self.logs = [], []
        firefox.subscribe(['network.beforeRequestSent', 'log.entryAdded'], self._on)

    def _on(self, method, params):
        if method == 'network.beforeRequestSent':
            self.requests.append(params['request']['url'])
        elif method == 'log.entryAdded':
            self.logs.append((params.get('level'), params.get('text') or ''))

    def errors(self):
        return [text for level, text in self.logs if level == 'error']

    def off_origin(self, base):
        return [u for u in self.requests if not u.startswith((base, 'data:', 'blob:'))]


@pytest.fixture(scope='session')
def firefox():
    """One headless Firefox ESR for the session (scripts/test.py installs firefox-esr)."""
    if not shutil.which('firefox-esr'):
        pytest.fail('firefox-esr is not installed: apt-get install firefox-esr (scripts/test.py does it)')
    with Firefox() as ff:
        yield ff
