"""The runtime, as a learner uses it: train in the browser and get what CPython prints."""
import random
import re

from playwright.sync_api import expect

from tests.e2e.conftest import (click_if_enabled, console_output, console_text, cpython_output, run_to_end, screenshot,
                                set_field, wait_state)


def set_steps(page, steps):
    if steps is not None:
        set_field(page, 'num_steps', steps)


def train(page, steps=None):
    set_steps(page, steps)
    page.get_by_role('button', name='Train').click()


def train_to_end(page, steps=None, timeout=120_000):
    set_steps(page, steps)
    run_to_end(page, timeout)


def test_training_matches_cpython_digit_for_digit(open_app, base_url):
    page, recorder = open_app()
    train_to_end(page, 20, timeout=120_000)
    assert console_output(page) == cpython_output(num_steps=20)
    assert console_text(page) == cpython_output(num_steps=20)   # no notes in a clean run
    assert page.locator('[data-line]').count() == len(page.evaluate('MGV.store.state.source').splitlines())
    assert recorder.off_origin(base_url) == []
    assert recorder.errors == [] and recorder.failed == []
    screenshot(page, 'runtime-after-20-steps')


def test_pause_resume_step_stop_reset(open_app):
    page, _ = open_app()
    step_counter = page.locator('#stat-step')
    train(page, 200)
    expect(step_counter).to_have_text(re.compile(r'^([2-9]|\d\d+) /'), timeout=60_000)
    page.get_by_role('button', name='Pause').click()
    wait_state(page, 'paused')
    page.evaluate('() => new Promise((drawn) => requestAnimationFrame(() => requestAnimationFrame(drawn)))')
    held = step_counter.text_content()   # as drawn in the frames after the pause
    page.wait_for_timeout(400)  # a paused run must not move; give it the time of a few steps
    assert step_counter.text_content() == held

    done = int(held.split('/')[0])
    page.get_by_role('button', name='Step', exact=True).click()   # not "Step through"
    expect(step_counter).to_have_text(f'{done + 1} / 200')
    wait_state(page, 'paused')
    assert f'step {done + 1:4d} /  200' in console_text(page)

    page.get_by_role('button', name='Resume').click()
    wait_state(page, 'training')
    expect(step_counter).not_to_have_text(re.compile(rf'^({done}|{done + 1}|{done + 2}) /'))

    page.get_by_role('button', name='Stop').click()
    wait_state(page, 'ready')
    # the console shows a run's last lines when its state flips; the counter follows on a frame
    stopped = re.search(r'Stopped after step (\d+)\.', console_text(page))
    stopped_at = int(stopped[1])
    assert stopped_at < 200
    assert f'step {stopped_at:4d} /  200' in console_text(page)
    assert '--- inference ---' not in console_text(page)
    expect(step_counter).to_have_text(f'{stopped_at} / 200')

    page.get_by_role('button', name='Reset').click()
    wait_state(page, 'ready')
    # the views draw on the next frame: wait for what a user then sees
    expect(page.get_by_role('log', name='Console')).to_have_text('')
    expect(step_counter).to_have_text('–')


def test_new_n_embd_prints_new_num_params(open_app):
    page, _ = open_app()
    set_field(page, 'n_embd', 8)
    set_field(page, 'n_head', 2)
    train_to_end(page, 1, timeout=60_000)
    expected = cpython_output(num_steps=1, n_embd=8, n_head=2)
    assert 'num params: 1264' in expected
    assert console_output(page) == expected
    # the code pane shows the text that ran: the edited lines, marked as changed
    changed = page.locator('.line.is-changed')
    assert changed.count() == 3
    assert 'n_embd = 8' in changed.all_text_contents()[0]


def test_start_stop_reset_thirty_times_then_still_matches(open_app, base_url):
    page, recorder = open_app()
    set_field(page, 'num_steps', 20)
    rng = random.Random(7)
    buttons = ['Train', 'Stop', 'Reset']
    for _ in range(30):
        name = rng.choice(buttons)
        button = page.get_by_role('button', name=name)
        click_if_enabled(button)
    # responsive: the page still answers at once
    assert page.evaluate('1 + 1') == 2
    # a Stop that came while Python was busy for over STUCK_MS (the code before the loop) replaces the worker
    expect(page.get_by_role('button', name='Reset')).to_be_enabled(timeout=60_000)
    page.get_by_role('button', name='Reset').click()
    wait_state(page, 'ready')
    train_to_end(page, timeout=120_000)
    assert console_output(page) == cpython_output(num_steps=20)
    assert recorder.off_origin(base_url) == []


def test_a_dead_worker_is_noticed_and_replaced(open_app):
    page, _ = open_app()
    first = page.evaluate('MGV.debug.worker !== null')
    assert first
    page.evaluate('MGV.debug.worker.terminate()')     # as if it crashed or ran out of memory
    expect(page.get_by_role('log', name='Console')).to_contain_text('stopped unexpectedly', timeout=1000)
    wait_state(page, 'ready')
    train_to_end(page, 2, timeout=60_000)
    assert console_output(page) == cpython_output(num_steps=2)
