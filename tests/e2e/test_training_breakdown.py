"""The Training tab breaks each step down under its phases, with the step's real data: the
document and its tokens, each position's target, probability and loss, every matrix's gradient
size and update, lr_t. And any microgpt.py works: the original's plain comments, pasted in Edit
mode, give the same phases, breakdown and parameter-card grad norms."""
import math
import re

from playwright.sync_api import expect

from tests.conftest import FIXTURES, set_values
from tests.e2e.conftest import console_text, press, run_to_end, screenshot, set_field, wait_seen, wait_state

PLAIN = (FIXTURES / 'microgpt-plain-comments.py').read_text()


def phase(page, name):
    """A phase of the Training tab: its button and what the step did in it, by the button's name."""
    return page.locator('.phase').filter(has=page.get_by_role('button', name=name, exact=True))


def printed_loss(page, step):
    found = re.findall(rf'step\s+{step} /\s+\d+ \| loss (\d+\.\d+)', console_text(page))
    assert len(found) == 1, found
    return float(found[0])


def shown_step(page):
    caption = page.locator('.sb-caption')
    expect(caption).to_contain_text('Step ')
    return int(re.search(r'Step (\d+)', caption.text_content()).group(1))


def check_breakdown(page, step, loss_phase):
    """What a learner reads under the phases for `step`, against what microgpt.py printed."""
    assert shown_step(page) == step
    # Tokenize: the document, and its tokens between two BOS
    tokenize = phase(page, 'Tokenize')
    doc = tokenize.locator('.sb-doc').text_content()
    chips = tokenize.get_by_role('listitem')
    chars = chips.locator('.sb-char').all_text_contents()
    assert chars == ['BOS'] + list(doc) + ['BOS'] and doc
    ids = [int(x) for x in chips.locator('.sb-id').all_text_contents()]
    assert ids[0] == ids[-1] and len(set(ids[1:-1])) == len(set(doc))
    # Forward/Loss: per position, the real next token, its probability and loss; their mean is
    # the loss microgpt.py printed for this step
    table = phase(page, loss_phase).get_by_role('table', name='Loss at each position')
    rows = table.locator('tbody tr')
    n = min(8, len(doc) + 1)
    expect(rows).to_have_count(n)
    reads = rows.locator('td:nth-child(2)').all_text_contents()
    targets = rows.locator('td:nth-child(3)').all_text_contents()
    assert reads == chars[:n] and targets == chars[1:n + 1]
    losses = [float(x) for x in rows.locator('td:nth-child(5)').all_text_contents()]
    probs = [float(x.strip().rstrip('%')) / 100 for x in rows.locator('td:nth-child(4)').all_text_contents()]
    for p, loss in zip(probs, losses):
        assert math.isclose(p, math.exp(-loss), rel_tol=0.06, abs_tol=0.0006)   # shown rounded
    mean = float(table.locator('tfoot td').last.text_content())
    assert abs(mean - printed_loss(page, step)) < 0.0011
    # Backward: each matrix's gradient size; Adam: its update, and lr_t
    grads = phase(page, 'Backward').get_by_role('table', name='Gradient size per matrix')
    names = grads.get_by_role('rowheader').all_text_contents()
    assert names[:3] == ['wte', 'wpe', 'lm_head'] and len(names) == 9
    sizes = [float(x) for x in grads.locator('td:last-child').all_text_contents()]
    assert sizes[names.index('lm_head')] > 0 and sizes[names.index('wte')] > 0
    adam = phase(page, 'Adam update')
    updates = adam.get_by_role('table', name='Update size per matrix')
    assert updates.get_by_role('rowheader').all_text_contents() == names
    assert all(float(x) > 0 for x in updates.locator('td:last-child').all_text_contents()[:3])
    lr = float(re.search(r'lr_t = (\S+)\.', adam.locator('p').first.text_content()).group(1))
    expected_lr = 0.01 * 0.5 * (1 + math.cos(math.pi * (step - 1) / int(page.get_by_label('num_steps', exact=True).input_value())))
    assert math.isclose(lr, expected_lr, rel_tol=0.006)


def test_each_phase_shows_what_the_step_did(open_app):
    page, recorder = open_app()
    set_field(page, 'num_steps', 300)
    page.get_by_role('tab', name='Training').click()
    expect(page.locator('.sb-caption')).to_contain_text('Train, and each phase shows')
    press(page, 'Train')
    wait_seen(page, 'training')
    # while training it follows the latest step
    expect(page.locator('.sb-caption')).to_contain_text('Step ')
    first = shown_step(page)
    expect(page.locator('.sb-caption')).not_to_contain_text(f'Step {first},', timeout=20_000)
    page.wait_for_function('() => MGV.store.state.snapshots.length >= 15', timeout=60_000)
    page.get_by_role('button', name='Pause').click()
    wait_state(page, 'paused')
    step = int(page.locator('#stat-step').text_content().split('/')[0])
    assert step > first
    expect(page.locator('.sb-caption')).to_contain_text(f'Step {step},')
    check_breakdown(page, step, 'Loss')
    # the Forward phase says what it did; the per-position table is the Loss phase's
    expect(phase(page, 'Forward')).to_contain_text('one token at a time')
    screenshot(page, 'training-breakdown-paused')
    phase(page, 'Adam update').scroll_into_view_if_needed()
    screenshot(page, 'training-breakdown-backward-adam')

    # one more step: the breakdown moves with it
    press(page, 'Step')
    expect(page.locator('.sb-caption')).to_contain_text(f'Step {step + 1},')
    wait_state(page, 'paused')
    check_breakdown(page, step + 1, 'Loss')

    # the report costs little: the time outside the phases (reading the step) is a few % of a step
    timing = page.evaluate('''() => {
        const snaps = MGV.store.state.snapshots.slice(1);
        const total = snaps.reduce((s, p) => s + p.ms, 0);
        const phases = snaps.reduce((s, p) => s + p.phases.reduce((a, b) => a + b.ms, 0), 0);
        return {total, outside: total - phases, steps: snaps.length};
    }''')
    print('breakdown cost:', timing, f"{100 * timing['outside'] / timing['total']:.2f}% of the step time")
    assert timing['outside'] / timing['total'] < 0.05
    page.get_by_role('button', name='Stop').click()
    wait_state(page, 'ready')
    assert recorder.errors == []


def test_the_original_plain_comments_pasted_in_edit_mode_still_work(open_app):
    page, recorder = open_app()
    page.get_by_role('button', name='Edit').click()
    box = page.get_by_role('textbox', name='microgpt.py source')
    box.fill(set_values(PLAIN, num_steps=6))
    expect(page.get_by_label('num_steps', exact=True)).to_have_value('6', timeout=30_000)   # parsed in the worker
    page.get_by_role('tab', name='Training').click()
    phases = page.get_by_role('group', name='Training loop phases')
    expect(phases.get_by_role('button')).to_have_text(['Tokenize', 'Forward', 'Backward', 'Adam update'])
    run_to_end(page)
    assert 'step    6 /    6' in console_text(page)
    # four phases, timed, each with what step 6 did; the loss table sits under Forward, where
    # this file computes the loss
    expect(page.locator('.phase-ms').filter(has_text='ms')).to_have_count(4)
    check_breakdown(page, 6, 'Forward')
    # the phase button still shows its code: the loss is inside the forward loop
    page.get_by_role('button', name='Forward', exact=True).click()
    highlighted = '\n'.join(page.locator('.line.is-highlighted').all_text_contents())
    assert 'logits = gpt(token_id, pos_id, keys, values)' in highlighted and 'loss = (1 / n)' in highlighted
    screenshot(page, 'training-breakdown-plain-comments')

    # step-through enters build_topo, the function nested in backward() (Pyodide's Python 3.14
    # records with sys.monitoring, which needs the nested function's own code object)
    page.get_by_role('button', name='Step through').click()
    aside = page.get_by_role('complementary', name='Step through')
    aside.get_by_label('Pass').select_option('backward')
    aside.get_by_role('button', name='Record').click()
    expect(aside.get_by_role('status').first).to_contain_text('backward() of the loss', timeout=60_000)
    where = aside.locator('.st-where')
    expect(where).to_contain_text('in the training loop: loss.backward()')
    for _ in range(8):
        if 'in build_topo()' in where.text_content():
            break
        aside.get_by_role('button', name='Next line').click()
    expect(where).to_contain_text('in build_topo()')
    screenshot(page, 'step-through-build-topo')

    # the parameter cards' gradient norms come from the Backward phase, found by its statements
    page.get_by_role('tab', name='Architecture').click()
    cards = page.get_by_role('list', name='Parameter matrices')
    expect(cards.get_by_role('listitem')).to_have_count(9)
    expect(page.locator('.pc-note')).to_contain_text("gradient norms from step 6's backward()")
    expect(cards.get_by_role('listitem').first).to_contain_text(re.compile(r'grad norm \d'))
    assert recorder.errors == []


def test_a_renamed_variable_leaves_that_part_out_and_says_why(open_app):
    page, recorder = open_app()
    page.get_by_role('button', name='Edit').click()
    box = page.get_by_role('textbox', name='microgpt.py source')
    edited = set_values(box.input_value(), num_steps=3).replace('losses', 'per_position')
    box.fill(edited)
    expect(page.get_by_label('num_steps', exact=True)).to_have_value('3', timeout=30_000)
    page.get_by_role('tab', name='Training').click()
    run_to_end(page)
    assert 'step    3 /    3' in console_text(page)
    expect(phase(page, 'Loss')).to_contain_text('The loss per position is not available: this code has no `losses` list')
    expect(phase(page, 'Tokenize').locator('.sb-char').first).to_have_text('BOS')   # the rest is still there
    expect(phase(page, 'Backward').get_by_role('table', name='Gradient size per matrix')).to_be_visible()
    assert recorder.errors == []
