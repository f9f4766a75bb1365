"""Fixtures for the browser tests: the built site served on 127.0.0.1, Debian's Chromium driven
by Playwright, a page that records every request and console error, and CPython's own output
of microgpt.py to compare against."""
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from scripts.measure_load import CHROMIUM_FLAGS, serve  # noqa: F401  (tests import serve from here)
from tests.conftest import ROOT, run_script

# MGV_SITE_DIR lets one developer test a private build while others rebuild dist/ (build.py --out).
SITE = Path(os.environ.get('MGV_SITE_DIR') or ROOT / 'dist' / 'site')
ARTIFACTS = ROOT / 'tests' / 'artifacts'
BOOT_TIMEOUT = 60_000


def pytest_collection_modifyitems(items):
    for item in items:
        if 'e2e' in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope='session')
def site():
    if not (SITE / 'index.html').exists():
        subprocess.run([sys.executable, str(ROOT / 'scripts' / 'build.py'), '--out', str(SITE.parent)], check=True)
    return SITE


@pytest.fixture(scope='session')
def base_url(site):
    url, server = serve(site)
    yield url
    server.shutdown()


@pytest.fixture(scope='session')
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which('chromium'), args=CHROMIUM_FLAGS)
        yield b
        b.close()


class Recorder:
    """Every request the page makes, and every console error it logs."""
    def __init__(self, page):
        self.requests, self.errors, self.failed = [], [], []
        page.on('request', lambda r: self.requests.append(r.url))
        page.on('response', lambda r: r.status >= 400 and self.failed.append(f'{r.status} {r.url}'))
        page.on('console', lambda m: m.type == 'error' and self.errors.append(m.text))
        page.on('pageerror', lambda e: self.errors.append(str(e)))

    def off_origin(self, base):
        return [u for u in self.requests if not (u.startswith(base) or u.startswith(('data:', 'blob:')))]


@pytest.fixture
def open_app(browser, base_url):
    """open_app(viewport=(w, h), url=...) -> (page, recorder), the page ready to train."""
    contexts = []

    def _open(viewport=(1440, 900), url=None, wait_ready=True, context=None):
        ctx = context or browser.new_context(viewport={'width': viewport[0], 'height': viewport[1]})
        contexts.append(ctx)
        page = ctx.new_page()
        recorder = Recorder(page)
        page.goto(url or base_url)
        if wait_ready:
            wait_state(page, 'ready', BOOT_TIMEOUT)
        return page, recorder

    yield _open
    for ctx in contexts:
        ctx.close()


def wait_state(page, state, timeout=60_000):
    page.wait_for_selector(f'body[data-state="{state}"]', timeout=timeout)


# The run's states reach the page as messages from the worker; a short run can pass through
# 'training' between two polls. So a press starts an observer that notes, in data-seen, every
# state the page takes from then on, and tests wait on that list.
WATCH_STATES = """() => {
    const body = document.body;
    if (window.__watchStates) window.__watchStates.disconnect();
    body.dataset.seen = '';
    // each record holds the value before it, so the values after are the next one's and the last
    window.__watchStates = new MutationObserver((records) => {
        const values = records.slice(1).map((r) => r.oldValue).concat(body.dataset.state);
        body.dataset.seen += ' ' + values.join(' ');
    });
    window.__watchStates.observe(body, {attributes: true, attributeOldValue: true, attributeFilter: ['data-state']});
}"""


def press(page, button='Train'):
    """Click a run button, noting every state the page takes after it."""
    page.evaluate(WATCH_STATES)
    page.get_by_role('button', name=button, exact=True).click()


def click_if_enabled(button):
    """Click the button as a hurried user does: if it is enabled, and not if it was disabled in the
    moment between the look and the click (the run's state moves on by itself)."""
    from playwright.sync_api import Error
    if button.is_enabled():
        try:
            button.click(timeout=1000)
        except Error:
            assert button.is_disabled()


def wait_seen(page, state, timeout=60_000):
    """Wait until the page has been in this state since the last press()."""
    page.wait_for_selector(f'body[data-seen~="{state}"]', state='attached', timeout=timeout)


def run_to_end(page, timeout=120_000, button='Train'):
    """Press Train (or another run button) and wait until that run has ended."""
    press(page, button)
    wait_seen(page, 'training', timeout)
    wait_state(page, 'ready', timeout)


def console_text(page):
    """The Console's text as a user reads it: microgpt.py's printed lines."""
    return page.get_by_role('log', name='Console').text_content()


def console_output(page):
    """Only microgpt.py's own lines (the app's notes are styled apart and left out)."""
    return page.eval_on_selector_all('[role=log] .console-line.is-out', 'els => els.map(e => e.textContent).join("")')


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f'{name}.png'))


@functools.lru_cache(maxsize=None)
def cpython_output(**values):
    """What `python microgpt.py` prints in CPython with these hyperparameters, on input.txt."""
    with tempfile.TemporaryDirectory() as folder:
        result = run_script(folder, (ROOT / 'input.txt').read_text(), **values)
        assert result.returncode == 0, result.stderr
        return result.stdout


def set_field(page, name, value):
    field = page.get_by_label(name, exact=True)
    field.fill(str(value))


def inspect(page, kind, args=None):
    """Ask the page's worker directly, through its private port (the app's own inspect is
    private); returns the "inspection" message: {id, kind, result, error}."""
    return page.evaluate("""([kind, args]) => new Promise((resolve) => {
        const worker = MGV.debug.worker, id = 1e9 + Math.floor(Math.random() * 1e6);
        const on = (e) => {
            if (e.data && e.data.type === 'inspection' && e.data.id === id) { worker.port.removeEventListener('message', on); resolve(e.data); }
        };
        worker.port.addEventListener('message', on);
        MGV.protocol.send(worker, 'inspect', {id, kind, args});
    })""", [kind, args or {}])

