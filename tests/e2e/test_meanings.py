"""A learner understands what they see: every setting says what it means, charts say what their
lines are, nothing on screen is stale or contradicts the rest, long code stays readable, buttons
wait for Python, and the paper table covers positions and the optimizer."""
import json
import math
import re

from playwright.sync_api import expect

from tests.e2e.conftest import (BOOT_TIMEOUT, console_output, press, run_to_end, screenshot, set_field,
                                wait_seen, wait_state)

HELP = {
    'n_embd': 'width of each token’s vector',
    'n_head': 'attention heads; must divide n_embd',
    'n_layer': 'transformer blocks, stacked',
    'block_size': 'longest context, in tokens',
    'learning_rate': 'Adam’s step size, in (0, 1]',
    'beta1': 'gradient momentum, in [0, 1)',
    'beta2': 'squared-gradient decay, in [0, 1)',
    'num_steps': 'training steps, one document each',
    'temperature': 'sampling randomness, in (0, 2]',
    'seed': 'random.seed: same seed, same run',
}


def open_tab(page, name):
    page.get_by_role('tab', name=name).click()


def estimate(page):
    return page.locator('.estimate')


def test_every_setting_says_what_it_means_and_no_chart_is_empty_before_training(open_app):
    page, recorder = open_app()
    form = page.get_by_role('form', name='Hyperparameters')
    for name, text in HELP.items():
        field = form.get_by_label(name, exact=True)
        expect(field).to_have_accessible_description(text)
        expect(form.get_by_text(text, exact=True)).to_be_visible()   # on screen, not only for screen readers
        expect(field).to_have_attribute('title', text)               # and as the field's tooltip
    open_tab(page, 'Training')
    # no axes without data: a sentence says what will appear
    expect(page.get_by_text('The loss of every step appears here once training starts.')).to_be_visible()
    expect(page.get_by_role('img', name='Loss by training step')).to_be_hidden()
    expect(page.get_by_role('img', name=re.compile('Learning rate by step'))).to_be_hidden()
    expect(page.get_by_role('button', name='Show losses as a table')).to_be_hidden()
    screenshot(page, 'meanings-before-training')
    assert recorder.errors == []


def test_loss_chart_has_a_legend_and_a_random_guessing_line(open_app):
    page, recorder = open_app()
    set_field(page, 'num_steps', 30)
    run_to_end(page)
    vocab_size = int(re.search(r'vocab size: (\d+)', console_output(page)).group(1))
    open_tab(page, 'Training')
    expect(page.get_by_role('img', name='Loss by training step')).to_be_visible()
    expect(page.get_by_text('The loss of every step appears here')).to_be_hidden()
    legend = page.get_by_role('list', name='Legend: Loss by training step').get_by_role('listitem')
    expect(legend).to_have_text(['loss of each step', 'average of the last 20',
                                 f'random guessing: −log(1/vocab_size) = ln {vocab_size} = {math.log(vocab_size):.2f}'])
    lr_legend = page.get_by_role('list', name=re.compile('Legend: Learning rate by step')).get_by_role('listitem')
    expect(lr_legend).to_have_text(['lr_t, the learning rate each step uses (cosine decay to 0)', 'this step'])
    # the lr readout is a plain decimal, as on its axis (0.01 at step 1, falling)
    lr_chart = page.get_by_role('img', name=re.compile('Learning rate by step'))
    lr_chart.scroll_into_view_if_needed()
    box = lr_chart.bounding_box()
    page.mouse.move(box['x'] + 70, box['y'] + box['height'] / 2)
    expect(page.locator('.chart-readout').filter(has_text='lr_t')).to_have_text(re.compile(r'^step \d+: lr_t 0\.0\d+$'))
    expect(page.get_by_role('button', name='Show losses as a table')).to_be_visible()
    # the first steps of an untrained model lose about as much as random guessing
    first = float(re.search(r'step\s+1 /\s+30 \| loss (\d+\.\d+)', console_output(page)).group(1))
    assert abs(first - math.log(vocab_size)) < 0.3
    expect(page.locator('#status')).to_have_text('Finished all 30 steps. Change something and train again.')
    page.get_by_role('heading', name='Loss').scroll_into_view_if_needed()
    screenshot(page, 'meanings-loss-legend-and-baseline')
    assert recorder.errors == []


def test_after_stop_the_status_says_where_it_stopped_with_no_time_left(open_app):
    page, recorder = open_app()
    set_field(page, 'num_steps', 300)
    press(page)
    wait_seen(page, 'training')
    expect(page.locator('#stat-step')).to_have_text(re.compile(r'^([3-9]|\d\d+) / 300'), timeout=60_000)
    expect(page.locator('.speed')).to_contain_text('left')   # while it runs, the time left is told
    page.get_by_role('button', name='Stop').click()
    wait_state(page, 'ready')
    status = page.locator('#status')
    expect(status).to_have_text(re.compile(r'^Stopped at step \d+ of 300\. Train starts a new run\.$'))
    step = int(re.search(r'step (\d+)', status.text_content()).group(1))
    expect(page.locator('#stat-step')).to_have_text(f'{step} / 300')
    assert re.findall(r'step\s+(\d+) /\s+300', console_output(page))[-1] == str(step)   # the last step microgpt.py printed
    open_tab(page, 'Training')
    speed = page.locator('.speed')
    expect(speed).to_contain_text(f'Stopped at step {step} of 300')
    assert 'left' not in speed.text_content()
    screenshot(page, 'meanings-after-stop')
    page.get_by_role('button', name='Reset').click()
    expect(page.locator('#status')).to_have_text('Ready. Press Train.')
    assert recorder.errors == []


def test_the_estimate_follows_num_steps_an_edit_of_the_code_and_reset_code(open_app):
    page, _ = open_app()
    expect(estimate(page)).to_contain_text('for 500 steps')
    set_field(page, 'num_steps', 40)
    expect(estimate(page)).to_contain_text('for 40 steps')
    # the code now says 40; an edit of that line moves the form and the estimate with it
    page.get_by_role('button', name='Edit', exact=True).click()
    editor = page.get_by_role('textbox', name='microgpt.py source')
    expect(editor).to_have_value(re.compile(r'^num_steps = 40\b', re.M))
    editor.fill(re.sub(r'^num_steps = 40\b', 'num_steps = 77', editor.input_value(), flags=re.M))
    expect(page.get_by_label('num_steps', exact=True)).to_have_value('77')
    expect(estimate(page)).to_contain_text('for 77 steps')
    page.get_by_role('button', name='Reset code').click()
    expect(page.get_by_label('num_steps', exact=True)).to_have_value('500')
    expect(estimate(page)).to_contain_text('for 500 steps')


def test_loaded_lines_go_when_the_model_does(open_app, tmp_path):
    page, recorder = open_app()
    set_field(page, 'num_steps', 5)
    run_to_end(page)
    open_tab(page, 'Runs')
    with page.expect_download() as info:
        page.get_by_role('button', name='Save model').click()
    saved = tmp_path / 'model.json'
    info.value.save_as(saved)
    page.get_by_label('Load model').set_input_files(str(saved))
    runs = page.get_by_role('tabpanel', name='Runs')
    expect(runs.get_by_text(re.compile('^Loaded from model.json'))).to_be_visible()
    expect(runs.get_by_text(re.compile('^Loaded model.json: 5 steps'))).to_be_visible()
    page.get_by_role('button', name='Reset').click()
    expect(runs.get_by_text('No model yet: train one, or load a saved one.')).to_be_visible()
    expect(runs.get_by_text(re.compile('Loaded'))).to_have_count(0)
    screenshot(page, 'meanings-runs-after-reset')
    assert json.loads(saved.read_text())['steps'] == 5
    assert recorder.errors == []


def test_attention_drops_a_refused_names_heatmap_and_captions_name_the_text(open_app):
    page, recorder = open_app()
    set_field(page, 'num_steps', 5)
    run_to_end(page)
    open_tab(page, 'Attention')
    page.get_by_label('Name to read').fill('emma')
    page.get_by_role('button', name='Show').click()
    expect(page.get_by_role('table', name='Layer 1, head 1 attention weights, reading “emma”')).to_be_visible()
    expect(page.get_by_role('heading', name='Every head, reading “emma”')).to_be_visible()
    page.get_by_label('Name to read').fill('Zoë')
    page.get_by_role('button', name='Show').click()
    expect(page.locator('.att-message')).to_contain_text('“Zoë” cannot be shown')
    expect(page.locator('.att-table')).to_have_count(0)          # emma's weights do not stay under Zoë's message
    expect(page.locator('.att-thumb')).to_have_count(0)
    expect(page.get_by_role('heading', name='Every head', exact=True)).to_be_visible()
    screenshot(page, 'meanings-attention-refused')
    page.get_by_label('Name to read').fill('ava')
    page.get_by_role('button', name='Show').click()
    expect(page.get_by_role('table', name='Layer 1, head 1 attention weights, reading “ava”')).to_be_visible()
    assert recorder.errors == []


def test_long_lines_wrap_and_both_highlighted_places_are_reachable(open_app):
    page, _ = open_app()
    code = page.locator('#code')
    # no line runs past the pane's edge: the formula of attn_logits stays in sight
    assert code.evaluate('c => c.scrollWidth <= c.clientWidth')
    logits = page.locator('[data-line]').filter(has_text='attn_logits = [sum(')
    expect(logits).to_contain_text('/ head_dim ** 0.5')
    pane = code.bounding_box()
    box = logits.bounding_box()
    assert box['x'] + box['width'] <= pane['x'] + pane['width'] + 1
    assert box['height'] > 25     # it wraps onto a second row
    # a link to two places: wpe is made in one line and read in another
    open_tab(page, 'Architecture')
    page.get_by_role('table').filter(has_text='Positional encoding').get_by_role('button', name='wpe', exact=True).click()
    places = page.get_by_role('group', name='Highlighted places')
    expect(places).to_be_visible()
    made = page.locator('[data-line]').filter(has_text="'wpe': matrix(block_size, n_embd)")
    used = page.locator('[data-line]').filter(has_text="state_dict['wpe'][pos_id]")
    made_at, used_at = made.get_attribute('data-line'), used.get_attribute('data-line')
    expect(places).to_contain_text(f'1 of 2: line {made_at}')
    expect(made).to_be_in_viewport()
    places.get_by_role('button', name='Next').click()
    expect(places).to_contain_text(f'2 of 2: line {used_at}')
    expect(used).to_be_in_viewport()
    screenshot(page, 'meanings-code-two-places')
    places.get_by_role('button', name='Previous').click()
    expect(places).to_contain_text('1 of 2')
    # one place: no jump
    page.get_by_role('table').filter(has_text='Positional encoding').get_by_role('button', name='n_head', exact=True).click()
    expect(places).to_be_hidden()


def test_paper_table_compares_positions_and_the_optimizer(open_app):
    page, _ = open_app()
    open_tab(page, 'Architecture')
    table = page.get_by_role('table').filter(has_text='Positional encoding')
    row = lambda term: table.get_by_role('row').filter(has=page.get_by_role('cell', name=term, exact=True))  # noqa: E731
    expect(row('Positional encoding')).to_contain_text('fixed sinusoids')
    expect(row('Positional encoding')).to_contain_text('learned: a block_size × n_embd table (8 × 16)')
    expect(row('Optimizer')).to_contain_text('β2 0.98')
    expect(row('Optimizer')).to_contain_text('beta1 0.9, beta2 0.95, eps_adam 1e-8')
    expect(row('Warmup and schedule')).to_contain_text('4,000 warmup steps')
    expect(row('Warmup and schedule')).to_contain_text('no warmup: cosine decay from learning_rate 0.01 to 0 over 500 steps')
    # the values are the ones in use now
    set_field(page, 'block_size', 12)
    set_field(page, 'num_steps', 60)
    expect(row('Positional encoding')).to_contain_text('(12 × 16)')
    expect(row('Warmup and schedule')).to_contain_text('over 60 steps')
    expect(page.locator('[data-line]').filter(has_text='num_steps = 60')).to_have_count(1)   # the code says so too
    row('Warmup and schedule').get_by_role('button', name='lr_t').click()
    lr_line = page.locator('.code .is-highlighted').filter(has_text='lr_t = learning_rate')
    expect(lr_line).to_have_count(1)
    expect(lr_line).to_be_in_viewport()
    screenshot(page, 'meanings-paper-table')


def test_buttons_that_need_python_wait_for_it(open_app, browser, base_url):
    # Hold Python's runtime until the page has been checked, so "before ready" is a state, not a race.
    context = browser.new_context(viewport={'width': 1440, 'height': 900})
    held = []
    context.route(re.compile(r'runtime-files\.js$'), lambda route: held.append(route))
    page, recorder = open_app(url=base_url, wait_ready=False, context=context)
    expect(page.locator('body')).to_have_attribute('data-state', 'loading')
    for name in ['Train', 'Pause', 'Step', 'Stop', 'Reset']:
        expect(page.get_by_role('button', name=name, exact=True)).to_be_disabled()
    open_tab(page, 'Training')
    expect(page.get_by_role('button', name='Generate')).to_be_disabled()
    open_tab(page, 'Attention')
    expect(page.get_by_role('button', name='Show')).to_be_disabled()
    open_tab(page, 'Architecture')
    expect(page.get_by_role('button', name='Run forward pass')).to_be_disabled()
    open_tab(page, 'Autograd')
    expect(page.get_by_role('button', name='Build graph')).to_be_disabled()
    open_tab(page, 'Runs')
    expect(page.get_by_role('button', name='Save model')).to_be_disabled()
    expect(page.get_by_label('Load model')).to_be_disabled()
    screenshot(page, 'meanings-before-python-is-ready')
    expect(page.locator('body')).to_have_attribute('data-state', 'loading')
    assert held, 'the runtime was not held, so this test checked nothing'
    for route in held:
        route.continue_()
    wait_state(page, 'ready', BOOT_TIMEOUT)
    expect(page.get_by_role('button', name='Train', exact=True)).to_be_enabled()
    expect(page.get_by_label('Load model')).to_be_enabled()
    expect(page.get_by_role('button', name='Save model')).to_be_disabled()   # no model yet
    assert recorder.errors == []
