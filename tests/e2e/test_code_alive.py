"""The code comes alive: step through microgpt.py line by line, and edit it and run it."""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import ROOT, SOURCE, load, set_values, traced_gpt
from tests.e2e.conftest import (console_output, console_text, cpython_output, run_to_end, screenshot,
                                set_field, wait_state)

NAME = 'olivia'
POSITION = 4          # 1-based, as the learner types it: reading the "i" of "olivia"


def train(page, steps):
    set_field(page, 'num_steps', steps)
    run_to_end(page)


def anchor(page, name):
    """A line range from the page's own source map (parsed by Python, never typed here)."""
    return page.evaluate('(name) => MGV.store.state.sourceMap.anchors[name]', name)


def cpython_gpt_lines(pos):
    """The lines gpt() itself runs at position pos of NAME, in order, by a plain tracer in CPython."""
    with tempfile.TemporaryDirectory() as folder:
        return traced_gpt(load(folder, (ROOT / 'input.txt').read_text()), NAME, pos)[0]


def run_edited(text, **values):
    """What CPython's `python microgpt.py` prints for this text (hyperparameters rewritten)."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / 'input.txt').write_text((ROOT / 'input.txt').read_text())
        (Path(folder) / 'microgpt.py').write_text(set_values(text, **values))
        result = subprocess.run([sys.executable, 'microgpt.py'], cwd=folder, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout


def current_line(aside):
    return int(re.match(r'Line (\d+)', aside.locator('.st-where').text_content()).group(1))


def step_numbers(aside, name):
    row = aside.get_by_role('table', name=re.compile('Values after line')).get_by_role('row').filter(
        has=aside.page.get_by_role('rowheader', name=name, exact=True))
    return [float(x) for x in row.locator('[data-value]').evaluate_all('els => els.map(e => e.dataset.value)')]


def test_step_through_a_forward_pass_and_a_backward(open_app):
    page, recorder = open_app()
    train(page, 20)

    # the Attention tab's weights for NAME, every head, the query at POSITION
    page.get_by_role('tab', name='Attention').click()
    page.get_by_label('Name to read').fill(NAME)
    page.get_by_role('button', name='Show').click()
    expect(page.get_by_role('status').filter(has_text=f'{NAME}: ')).to_contain_text('after step 20')
    n_head = int(page.evaluate('MGV.store.state.texts.n_head'))
    attention = []
    for h in range(n_head):
        page.get_by_label('Head', exact=True).select_option(str(h + 1))
        table = page.get_by_role('table', name=f'Layer 1, head {h + 1} attention weights')
        row = table.locator('tbody tr').nth(POSITION - 1).locator('td[data-value]')
        attention.append([float(x) for x in row.evaluate_all('els => els.map(e => e.dataset.value)')])

    # Step through: record gpt() at that position
    page.get_by_role('tab', name='Architecture').click()
    page.get_by_role('button', name='Step through').click()
    aside = page.get_by_role('complementary', name='Step through')
    aside.get_by_label('Pass').select_option('forward')
    aside.get_by_label('Name').fill(NAME)
    aside.get_by_label('Position').fill(str(POSITION))
    aside.get_by_role('button', name='Record').click()
    status = aside.get_by_role('status').first   # (the slider's output is a status too)
    expect(status).to_contain_text('Recorded', timeout=30_000)
    expect(status).to_contain_text(f'position {POSITION} of “{NAME}”')
    print('forward recording:', status.text_content())

    # Step over, from the first line to the last: gpt()'s own lines, in CPython's order
    seen = [current_line(aside)]
    step_over = aside.get_by_role('button', name='Step over')
    while step_over.is_enabled():
        step_over.click()
        seen.append(current_line(aside))
    expected = cpython_gpt_lines(POSITION - 1)
    assert seen == expected

    # the softmax line of each head shows the Attention tab's numbers for that query
    softmax_line = anchor(page, 'attn_softmax')[0]
    assert 'attn_weights = softmax(' in SOURCE.split('\n')[softmax_line - 1]
    aside.get_by_role('slider', name='Recording').fill('0')
    for h in range(n_head):
        aside.get_by_label('Run to line').fill(str(softmax_line))
        aside.get_by_role('button', name='Go').click()
        expect(aside.locator('.st-where')).to_contain_text(f'Line {softmax_line} in gpt() · layer 1 · head {h + 1}')
        expect(page.locator(f'#code [data-line="{softmax_line}"]')).to_have_class(re.compile('is-step'))
        expect(page.get_by_role('button', name=f'Attention head {h + 1}', exact=True)).to_have_class(re.compile('is-current'))
        numbers = step_numbers(aside, 'attn_weights')
        assert numbers == attention[h]
        assert len(numbers) == POSITION
    screenshot(page, 'code-alive-step-through')

    # into and out of a function: rmsnorm()
    aside.get_by_role('slider', name='Recording').fill('0')
    norm_line = anchor(page, 'embed_norm')[0]
    page.locator(f'#code [data-line="{norm_line}"]').click()       # a click on a line runs to it
    expect(aside.locator('.st-where')).to_contain_text(f'Line {norm_line} in gpt()')
    aside.get_by_role('button', name='Next line').click()
    expect(aside.locator('.st-where')).to_contain_text('in rmsnorm()')
    aside.get_by_role('button', name='Step out').click()
    expect(aside.locator('.st-where')).to_contain_text('in gpt()')
    aside.get_by_role('button', name='Previous line').click()
    expect(aside.locator('.st-where')).to_contain_text('in rmsnorm()')

    # one backward(): it starts on the training loop's loss.backward() line
    aside.get_by_label('Pass').select_option('backward')
    aside.get_by_role('button', name='Record').click()
    expect(status).to_contain_text('backward() of the loss', timeout=60_000)
    print('backward recording:', status.text_content())
    backward_line = next(i + 1 for i, line in enumerate(SOURCE.split('\n')) if line.strip() == 'loss.backward()')
    expect(aside.locator('.st-where')).to_contain_text(f'Line {backward_line} in the training loop')
    aside.get_by_role('button', name='Next line').click()
    expect(aside.locator('.st-where')).to_contain_text('in backward()')
    expect(status).to_contain_text('not kept')     # bounded, and it says so
    # the run's own gradients were put back: training goes on exactly as CPython's
    assert recorder.errors == []


def test_edit_removing_the_attention_scaling_matches_cpython(open_app):
    page, recorder = open_app()
    page.get_by_role('button', name='Edit').click()
    box = page.get_by_role('textbox', name='microgpt.py source')
    expect(box).to_be_focused()
    text = box.input_value()
    assert text == SOURCE
    edited = text.replace(' / head_dim ** 0.5', '', 1)
    assert edited != text
    box.fill(edited)
    expect(page.locator('#code-note')).to_have_text('1 line changed')

    # the form follows the code, and the code follows the form
    box.fill(edited.replace('block_size = 8 ', 'block_size = 6 ', 1))
    expect(page.get_by_label('block_size', exact=True)).to_have_value('6')
    set_field(page, 'block_size', 8)
    expect(box).to_have_value(re.compile(r'^block_size = 8 ', re.M))
    set_field(page, 'num_steps', 20)   # at init attention is near uniform; by step 7 the losses differ
    expect(box).to_have_value(re.compile(r'^num_steps = 20$', re.M))

    page.get_by_role('button', name='Show changes').click()
    changes = page.get_by_role('region', name='Changes from the original')
    expect(changes).to_contain_text('-            attn_logits = [sum(q_h[j] * k_h[t][j] for j in range(head_dim)) / head_dim ** 0.5')
    expect(changes).to_contain_text('+num_steps = 20')
    screenshot(page, 'code-alive-edit')

    run_to_end(page)
    printed = console_output(page)
    assert printed == run_edited(edited, num_steps=20)
    losses = lambda text: [line for line in text.split('\n') if line.startswith('step')]
    assert losses(printed) != losses(cpython_output(num_steps=20))     # the losses changed
    assert recorder.errors == []


def test_errors_show_at_their_line_and_reset_code_runs_the_original(open_app):
    page, _ = open_app()
    page.get_by_role('button', name='Edit').click()
    box = page.get_by_role('textbox', name='microgpt.py source')
    lines = SOURCE.split('\n')
    softmax_line = anchor(page, 'attn_softmax')[0]
    norm_line = anchor(page, 'embed_norm')[0]

    # a syntax error shows before running, at its line
    broken = lines.copy()
    broken[softmax_line - 1] = broken[softmax_line - 1].replace('softmax(attn_logits)', 'softmax(attn_logits', 1)
    box.fill('\n'.join(broken))
    message = page.locator('#editor-message')
    expect(message).to_contain_text(f'Line {softmax_line}: SyntaxError')
    expect(page.locator('.editor-num.is-error')).to_have_text(str(softmax_line))
    page.get_by_role('button', name='Show the line').click()
    expect(page.locator('.editor-num.is-error')).to_be_in_viewport()
    screenshot(page, 'code-alive-syntax-error')

    # a runtime error shows as a traceback, at its line
    failing = lines.copy()
    failing[norm_line - 1] = failing[norm_line - 1].replace('rmsnorm(x)', 'rmsnorm(y)', 1)
    box.fill('\n'.join(failing))
    expect(message).to_contain_text('Press Train')
    set_field(page, 'num_steps', 3)
    page.get_by_role('button', name='Train').click()
    wait_state(page, 'error', 60_000)
    expect(message).to_contain_text(f"Line {norm_line}: NameError: name 'y' is not defined")
    expect(page.locator('.editor-num.is-error')).to_have_text(str(norm_line))
    log = console_text(page)
    assert f'File "microgpt.py", line {norm_line}, in gpt' in log
    assert f'microgpt.py raised an error at line {norm_line}' in log
    page.get_by_role('button', name='Read').click()
    expect(page.locator(f'#code [data-line="{norm_line}"]')).to_have_class(re.compile('is-highlighted'))

    # Reset code: the original is back, and runs as CPython runs it
    page.get_by_role('button', name='Edit').click()
    page.get_by_role('button', name='Reset code').click()
    expect(box).to_have_value(SOURCE)
    expect(page.locator('#code-note')).to_have_text('')
    train(page, 2)
    assert console_output(page) == cpython_output(num_steps=2)


def test_an_edit_that_breaks_a_view_leaves_training_working(open_app):
    page, recorder = open_app()
    page.get_by_role('button', name='Edit').click()
    box = page.get_by_role('textbox', name='microgpt.py source')
    edited = SOURCE.replace('state_dict', 'weights')
    box.fill(edited)
    expect(page.locator('#editor-message')).to_contain_text('Press Train')
    train(page, 3)
    assert console_output(page) == run_edited(edited, num_steps=3)
    page.get_by_role('tab', name='Architecture').click()
    panel = page.get_by_role('tabpanel', name='Architecture')
    expect(panel).to_contain_text('has no `state_dict`, which this view reads')
    # the views that do not need it still work
    page.get_by_role('tab', name='Attention').click()
    expect(page.get_by_role('status').filter(has_text='positions')).to_contain_text('after step 3')
    assert recorder.errors == []
