"""Whatever a curious learner does, the app survives it, and text never becomes code."""
import json
import random
import re
import shutil

from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.e2e.conftest import (click_if_enabled, console_output, console_text, cpython_output, press, run_to_end, serve, set_field,
                                wait_seen, wait_state)

XSS = '<img src=x onerror=alert(1)>'


def train(page, steps):
    set_field(page, 'num_steps', steps)
    press(page, 'Train')
    wait_seen(page, 'training')


def test_saved_settings_that_are_invalid_or_old_are_ignored_with_a_note(open_app):
    page, _ = open_app()
    page.evaluate("""localStorage.setItem('microgpt-viz', JSON.stringify(
        {version: 1, tab: 'nonsense', split: 7, values: {n_embd: 'abc', n_head: 3, learning_rate: 0.05}}))""")
    page.reload()
    wait_state(page, 'ready')
    log = page.get_by_role('log', name='Console')
    expect(log).to_contain_text('Ignored a saved n_embd')
    expect(log).to_contain_text('Ignored a saved n_head')
    expect(page.get_by_label('n_embd', exact=True)).to_have_value('16')        # microgpt.py's own
    expect(page.get_by_label('learning_rate', exact=True)).to_have_value('0.05')  # valid: kept
    expect(page.get_by_role('tab', name='Training')).to_have_attribute('aria-selected', 'true')

    page.evaluate("localStorage.setItem('microgpt-viz', JSON.stringify({version: 0, values: {n_embd: 32}}))")
    page.reload()
    wait_state(page, 'ready')
    expect(page.get_by_role('log', name='Console')).to_contain_text('another version')
    expect(page.get_by_label('n_embd', exact=True)).to_have_value('16')


def test_a_diverging_run_stops_with_a_plain_explanation(open_app):
    page, recorder = open_app()
    set_field(page, 'learning_rate', 1)
    train(page, 100)
    wait_state(page, 'error', 60_000)
    expect(page.locator('#status')).to_contain_text('learning rate is too high')
    text = console_text(page)
    assert 'nan' not in text.lower().replace('domain', '')
    assert len(re.findall(r'^step ', text, re.M)) < 10        # stopped at once, no stream of lines
    assert 'line' in text and 'microgpt.py' in text            # the real traceback is there too
    # and the next run works
    set_field(page, 'learning_rate', 0.01)
    train(page, 2)
    wait_state(page, 'ready', 60_000)
    assert console_output(page) == cpython_output(num_steps=2)


def test_memory_stays_flat_over_500_steps_and_the_page_stays_interactive(open_app):
    page, _ = open_app()
    page.evaluate("""window.__longest = 0; new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({type: 'longtask'});""")   # from now on: training, not the page's own start
    train(page, 500)
    # interactive while training: tabs switch at once
    for name in ['Architecture', 'Autograd', 'Attention', 'Training']:
        page.get_by_role('tab', name=name).click()
        expect(page.get_by_role('tab', name=name)).to_have_attribute('aria-selected', 'true', timeout=1000)
    wait_state(page, 'ready', 240_000)
    memory = page.evaluate('MGV.store.state.snapshots.map(s => [s.step, s.heap_bytes, s.wasm_bytes])')
    assert [step for step, _, _ in memory] == list(range(1, 501))
    # The heap after a step holds that step's graph, whose size follows the name's length; the
    # worker reads it every 10th step. Compare the largest read up to step 50 with the largest of
    # the last 50 steps (both windows hold full-length names).
    heap = {step: b for step, b, _ in memory if b is not None}
    assert sorted(heap) == list(range(10, 501, 10))
    at_50, at_500 = max(heap[s] for s in range(10, 51, 10)), max(heap[s] for s in range(460, 501, 10))
    print(f'heap in use at step 50: {at_50} bytes, at step 500: {at_500}; wasm memory: {memory[49][2]} -> '
          f'{memory[499][2]}; longest main-thread task: {page.evaluate("window.__longest")} ms')
    assert 0 < at_500 <= at_50 * 1.10
    assert page.evaluate('window.__longest') < 250


def test_hammering_stop_reset_and_train_leaves_one_worker_and_a_faithful_run(open_app, base_url):
    page, recorder = open_app()
    set_field(page, 'num_steps', 20)
    rng = random.Random(11)
    for _ in range(100):
        button = page.get_by_role('button', name=rng.choice(['Train', 'Stop', 'Reset']))
        click_if_enabled(button)
    assert page.evaluate('1 + 1') == 2
    # a Stop that came while Python was busy for over STUCK_MS (the code before the loop) replaces the worker
    expect(page.get_by_role('button', name='Reset')).to_be_enabled(timeout=60_000)
    page.get_by_role('button', name='Reset').click()
    wait_state(page, 'ready')
    run_to_end(page)
    assert console_output(page) == cpython_output(num_steps=20)
    assert len(page.workers) == 1
    assert recorder.off_origin(base_url) == []


def test_offline_after_load_changes_nothing(open_app, base_url):
    page, recorder = open_app()
    page.context.set_offline(True)
    train(page, 3)
    wait_state(page, 'ready', 60_000)
    assert console_output(page) == cpython_output(num_steps=3)
    page.get_by_role('button', name='Generate').click()
    expect(page.get_by_role('list', name='Samples').get_by_role('button').first).to_be_visible()
    for name in ['Architecture', 'Autograd', 'Attention']:
        page.get_by_role('tab', name=name).click()
        expect(page.get_by_role('tabpanel')).to_be_visible()
    assert recorder.off_origin(base_url) == []
    assert recorder.failed == []


def test_content_security_policy_allows_only_the_page_itself(open_app):
    page, _ = open_app()
    policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', 'content')
    sources = set(re.findall(r"\s([^\s;]+)", ' ' + policy.replace(';', ' ; ')))
    allowed = {"'self'", "'none'", 'blob:', 'data:', "'wasm-unsafe-eval'"}
    directives = {d.split()[0] for d in policy.split(';') if d.strip()}
    assert sources - allowed - directives == set()
    assert "'unsafe-eval'" not in policy and "'unsafe-inline'" not in policy
    # and the app's own scripts never turn text into code (code run through DevTools, as a test's
    # evaluate() is, is exempt from the page's policy, so this is checked in the source)
    for path in (ROOT / 'www').rglob('*.*js'):
        text = path.read_text()
        assert not re.search(r'\beval\(|new Function\(|setTimeout\([\'"`]', text), path


def test_markup_typed_by_the_user_is_shown_as_text(open_app):
    page, recorder = open_app()
    dialogs = []
    page.on('dialog', lambda d: (dialogs.append(d.message), d.dismiss()))
    train(page, 1)
    wait_state(page, 'ready', 60_000)
    page.get_by_role('tab', name='Architecture').click()
    name = page.get_by_label('Name to run')
    name.fill(XSS)
    page.get_by_role('button', name='Run forward pass').click()
    expect(page.get_by_text(re.compile(re.escape('<'))).first).to_be_visible()
    assert page.locator('img').count() == 0
    assert dialogs == []
    assert json.dumps(recorder.errors).count('alert') == 0


def broken_copy(site, tmp_path, name, damage):
    """A copy of the site with one file removed (damage None) or its bytes changed."""
    copy = tmp_path / 'site'
    shutil.copytree(site, copy)
    target = copy / name
    if damage is None:
        target.unlink()
    else:
        target.write_bytes(damage(target.read_bytes()))
    return copy


def test_a_missing_or_damaged_runtime_file_is_named(open_app, site, tmp_path):
    cases = [('app/runtime-files.js', None),
             ('app/runtime-files.js', lambda b: b[: len(b) // 2]),         # cut short
             ('app/worker.mjs', None)]
    for i, (name, damage) in enumerate(cases):
        folder = broken_copy(site, tmp_path / str(i), name, damage)
        url, server = serve(folder)
        try:
            page, _ = open_app(url=url, wait_ready=False)
            wait_state(page, 'error', 60_000)
            status = page.locator('#status')
            expect(status).to_contain_text(name.split('/')[-1])
            expect(status).to_contain_text(re.compile('download|rebuild', re.I))
        finally:
            server.shutdown()
