"""The zip as a learner gets it: unzipped, then index.html opened from disk (file://) with no
server and no network, or the same folder served over http. Chromium through Playwright, Firefox
ESR through its own WebDriver BiDi (tests/e2e/firefox.py). Each way trains 20 steps and prints
exactly what CPython prints, makes no request outside the folder, and every tab, the code pane
and the samples work."""
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (ARTIFACTS, BOOT_TIMEOUT, Recorder, console_output, cpython_output,
                                run_to_end, screenshot, serve, set_field, wait_state)
from tests.e2e.firefox import Recorder as FirefoxRecorder, firefox  # noqa: F401  (firefox is a fixture)

ZIP_BUDGET = 10_000_000
LOCAL_SCHEMES = ('file:', 'data:', 'blob:')
STEPS = 20
# The tokens the worker sent for the edited text: classed pieces, one of them the new value.
HIGHLIGHTED_EDIT = ('MGV.store.state.tokens.some((line) => line.some(([cls, text]) => cls && text === "STEPS")'
                    ' && line.map(([, text]) => text).join("").includes("num_steps"))')


@pytest.fixture(scope='module')
def folder(site, tmp_path_factory):
    """The built zip, unzipped as a learner would."""
    dest = tmp_path_factory.mktemp('unzipped')
    with zipfile.ZipFile(site.parent / 'microgpt-viz.zip') as zf:
        zf.extractall(dest)
    return dest / 'microgpt-viz'


@pytest.fixture(scope='module')
def urls(folder):
    """Both ways to open the same unzipped folder."""
    base, server = serve(folder)
    yield {'file': (folder / 'index.html').as_uri(), 'served': base}
    server.shutdown()


def allowed(way, urls):
    """Where requests may go: only the folder itself (and data:/blob: made from it)."""
    return LOCAL_SCHEMES if way == 'file' else (urls['served'], 'data:', 'blob:')


def test_zip_is_one_small_site_with_a_readme(site):
    path = site.parent / 'microgpt-viz.zip'
    assert path.stat().st_size <= ZIP_BUDGET
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        readme = zf.read('microgpt-viz/READ ME FIRST.txt').decode()
    assert {'microgpt-viz/index.html', 'microgpt-viz/app/runtime-files.js', 'microgpt-viz/app/worker-source.js'} <= names
    assert not any('/pyodide/' in n or n.endswith(('.wasm', '.whl')) for n in names)   # one copy of the runtime
    assert 'index.html' in readme and 'python3 -m http.server' in readme and 'http://localhost:8000/' in readme


# --- Chromium ------------------------------------------------------------------------------------

@pytest.mark.parametrize('way', ['file', 'served'])
def test_chromium_trains_like_cpython_offline(way, open_app, urls):
    page, recorder = open_app(url=urls[way])
    set_field(page, 'num_steps', STEPS)
    run_to_end(page)
    assert console_output(page) == cpython_output(num_steps=STEPS)
    assert [u for u in recorder.requests if not u.startswith(allowed(way, urls))] == []
    assert recorder.errors == [] and recorder.failed == []

    # the code pane shows the microgpt.py that ran (num_steps edited), highlighted
    code = page.locator('pre#code')
    assert code.text_content().rstrip('\n') == page.evaluate('MGV.store.state.source').rstrip('\n')
    expect(code).to_contain_text(f'num_steps = {STEPS}')
    # the edit was highlighted by pygments, whose wheel the worker loaded from memory
    assert page.evaluate(HIGHLIGHTED_EDIT.replace('STEPS', str(STEPS)))
    # samples from the trained model
    page.get_by_role('tab', name='Training').click()
    page.get_by_role('button', name='Generate').click()
    expect(page.get_by_role('list', name='Samples').get_by_role('listitem').first).to_be_visible()
    screenshot(page, f'offline-chromium-{way}-trained')
    # every tab opens its own panel
    for tab in page.get_by_role('tab').all():
        tab.click()
        expect(tab).to_have_attribute('aria-selected', 'true')
        panel = page.locator(f"#{tab.get_attribute('aria-controls')}")
        expect(panel).to_be_visible()
        assert panel.inner_text().strip(), tab.inner_text()
    page.get_by_role('tab', name='Architecture').click()
    screenshot(page, f'offline-chromium-{way}-architecture')
    assert recorder.errors == []


def test_chromium_settings_persist_from_disk(open_app, urls):
    page, _ = open_app(url=urls['file'])
    set_field(page, 'num_steps', 37)
    page.get_by_role('tab', name='Attention').click()
    page.reload()
    wait_state(page, 'ready', BOOT_TIMEOUT)
    # file:// pages have storage in Chromium; if they had none, the Console would say so
    expect(page.get_by_label('num_steps', exact=True)).to_have_value('37')
    expect(page.get_by_role('tab', name='Attention')).to_have_attribute('aria-selected', 'true')


def test_chromium_without_storage_on_disk_says_so_and_trains(browser, urls):
    context = browser.new_context()
    context.add_init_script("Object.defineProperty(window, 'localStorage', {configurable: true,"
                            " get() { throw new DOMException('denied', 'SecurityError'); }});")
    page = context.new_page()
    recorder = Recorder(page)
    page.goto(urls['file'])
    wait_state(page, 'ready', BOOT_TIMEOUT)
    expect(page.get_by_role('log', name='Console')).to_contain_text('cannot be saved')
    set_field(page, 'num_steps', 2)
    run_to_end(page, 60_000)
    assert console_output(page) == cpython_output(num_steps=2)
    assert recorder.errors == []
    context.close()


# A browser that will not run a worker from file:// (as some do) gets the advice, not a hang.
REFUSALS = {
    'worker-throws': "window.Worker = class { constructor() { throw new DOMException('refused', 'SecurityError'); } };",
    'worker-fails': ("const Real = window.Worker; window.Worker = class extends Real {"
                     " constructor(url, options) { super('data:text/javascript,throw new Error(1)', options); } };"),
}


@pytest.mark.parametrize('refusal', sorted(REFUSALS))
def test_a_browser_that_refuses_file_urls_gets_advice(refusal, browser, urls):
    context = browser.new_context()
    context.add_init_script(REFUSALS[refusal])
    page = context.new_page()
    Recorder(page)
    page.goto(urls['file'])
    wait_state(page, 'error', 20_000)
    status = page.get_by_role('status').filter(has_text='http.server')
    expect(status).to_contain_text('python3 -m http.server')
    expect(status).to_contain_text('http://localhost:8000/')
    screenshot(page, f'offline-chromium-refused-{refusal}')
    context.close()


# --- Firefox ESR -----------------------------------------------------------------------------------

@pytest.mark.parametrize('way', ['file', 'served'])
def test_firefox_trains_like_cpython_offline(way, firefox, urls):
    recorder = FirefoxRecorder(firefox)
    tab = firefox.new_tab()
    tab.navigate(urls[way])
    tab.wait_state('ready', BOOT_TIMEOUT / 1000)
    tab.fill('num_steps', STEPS)
    tab.click_button('Train')
    tab.wait_state('training')
    tab.wait_state('ready', 120)
    printed = tab.evaluate('[...document.querySelectorAll("[role=log] .console-line.is-out")].map((e) => e.textContent).join("")')
    assert printed == cpython_output(num_steps=STEPS)
    assert [u for u in recorder.requests if not u.startswith(allowed(way, urls))] == []
    assert recorder.errors() == []

    assert tab.text('#code').rstrip('\n') == tab.evaluate('MGV.store.state.source').rstrip('\n')
    assert f'num_steps = {STEPS}' in tab.text('#code')
    assert tab.evaluate(HIGHLIGHTED_EDIT.replace('STEPS', str(STEPS)))
    tab.click('tab', 'Training')
    tab.click_button('Generate')
    tab.wait_for('document.querySelectorAll("[aria-label=Samples] li").length > 0', 60)
    tab.screenshot(ARTIFACTS / f'offline-firefox-{way}-trained.png')
    for name in tab.evaluate('[...document.querySelectorAll("[role=tab]")].map((t) => t.textContent.trim())'):
        tab.click('tab', name)
        shown = tab.evaluate(f'''(() => {{
            const t = [...document.querySelectorAll("[role=tab]")].find((t) => t.textContent.trim() === {name!r});
            const panel = document.getElementById(t.getAttribute("aria-controls"));
            return t.getAttribute("aria-selected") === "true" && !panel.hidden && panel.innerText.trim().length > 0;
        }})()''')
        assert shown, name
    assert recorder.errors() == []
    tab.close()


def test_firefox_settings_persist_from_disk(firefox, urls):
    tab = firefox.new_tab()
    tab.navigate(urls['file'])
    tab.wait_state('ready', BOOT_TIMEOUT / 1000)
    tab.fill('num_steps', 41)
    tab.navigate(urls['file'])
    tab.wait_state('ready', BOOT_TIMEOUT / 1000)
    value = tab.evaluate('document.getElementById("hp-num_steps").value')
    notes = tab.text('[role=log]')
    # Firefox keeps storage for file:// pages; if it did not, the app must say so and carry on
    assert value == '41' or re.search('cannot be saved', notes), (value, notes)
    assert value == '41'
    tab.close()
