"""The shell as a learner meets it: code links, the loss chart, the editor's validation, layout."""
import re
import shutil

from playwright.sync_api import expect

from scripts import build
from tests.conftest import ROOT
from tests.e2e.conftest import console_text, run_to_end, screenshot, serve, set_field, wait_state


def highlighted_text(page):
    return '\n'.join(page.locator('.line.is-highlighted').all_text_contents())


def highlighted_numbers(page):
    return [int(n) for n in page.eval_on_selector_all('.line.is-highlighted', 'els => els.map(e => e.dataset.line)')]


# Each link and a piece of code its highlighted lines must contain.
LINKS = [
    ('Tokenize', 'tokens = [BOS]'),
    ('Forward', 'gpt(tokens[pos_id], pos_id, keys, values)'),
    ('Loss', '.log()'),
    ('Backward', 'loss.backward()'),
    ('Adam update', 'p.data -= lr_t'),
    ('rmsnorm', 'def rmsnorm'),
    ('no biases', 'def linear'),
    ('n_layer', 'n_layer = 1'),
    ('head_dim', 'head_dim = n_embd // n_head'),
    ('params', 'params = [p for mat in state_dict.values()'),
]
PAPER_LINKS = {'rmsnorm', 'no biases', 'n_layer', 'head_dim', 'params'}


def click_link(page, name):
    if name in PAPER_LINKS:
        page.get_by_role('tab', name='Architecture').click()
        page.get_by_role('table').filter(has_text='Attention Is All You Need').get_by_role('button', name=name, exact=True).click()
    else:
        page.get_by_role('tab', name='Training').click()
        page.get_by_role('button', name=name, exact=True).click()


def test_the_code_is_readable_before_any_script_runs(browser, base_url):
    """The build writes microgpt.py's highlighted lines into the page: a first paint shows them."""
    context = browser.new_context(viewport={'width': 1440, 'height': 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url)
    code = page.get_by_label('microgpt.py source')
    expect(code.locator('[data-line="1"]')).to_be_visible()
    assert code.text_content() == (ROOT / 'microgpt.py').read_text()
    assert code.locator('[class^="tok-"]').count() > 500     # highlighted, not plain text
    screenshot(page, 'shell-before-scripts')
    context.close()


def test_links_highlight_their_code(open_app):
    page, _ = open_app()
    for name, code in LINKS:
        click_link(page, name)
        expect(page.locator('.line.is-highlighted').first).to_be_visible()
        assert code in highlighted_text(page), name


def test_focusing_a_field_shows_its_line(open_app):
    page, _ = open_app()
    page.get_by_label('learning_rate', exact=True).focus()
    expect(page.locator('.line.is-highlighted')).to_have_count(1)
    assert 'learning_rate, beta1, beta2, eps_adam = 1e-2' in highlighted_text(page)


def test_links_follow_a_changed_file(open_app, tmp_path):
    """The same links on a microgpt.py with five more lines at the top move by five."""
    program = tmp_path / 'program'
    program.mkdir()
    (program / 'microgpt.py').write_text('# a\n# b\n# c\n# d\n# e\n' + (ROOT / 'microgpt.py').read_text())
    shutil.copyfile(ROOT / 'input.txt', program / 'input.txt')
    build.build(out=tmp_path / 'dist', program=program, verbose=False)
    url, server = serve(tmp_path / 'dist' / 'site')
    try:
        page, _ = open_app()
        shifted, _ = open_app(url=url)
        for name, code in LINKS:
            click_link(page, name)
            click_link(shifted, name)
            expect(shifted.locator('.line.is-highlighted').first).to_be_visible()
            assert highlighted_numbers(shifted) == [n + 5 for n in highlighted_numbers(page)]
            assert code in highlighted_text(shifted)
    finally:
        server.shutdown()


def test_loss_chart_has_every_step_the_console_printed(open_app):
    page, _ = open_app()
    set_field(page, 'num_steps', 20)
    run_to_end(page)
    printed = [float(x) for x in re.findall(r'\| loss (\d+\.\d+)', console_text(page))]
    assert len(printed) == 20
    page.get_by_role('button', name='Show losses as a table').click()
    table = page.get_by_role('table', name='Loss by step')
    rows = table.locator('tbody tr')
    expect(rows).to_have_count(20)
    charted = [float(t) for t in rows.locator('td:nth-child(2)').all_text_contents()]
    assert charted == printed
    # the slowest phase is marked, with times measured in the worker
    assert page.locator('.phase-ms').filter(has_text='ms').count() == 5
    screenshot(page, 'shell-training-1440x900')


BAD_VALUES = ['', '   ', 'abc', '1e999', 'NaN', '-1', '0', '2.5', '99999999999', '<img src=x onerror=alert(1)>']
INT_FIELDS = ['n_embd', 'n_head', 'n_layer', 'block_size', 'num_steps', 'seed']
FLOAT_FIELDS = ['learning_rate', 'beta1', 'beta2', 'temperature']
VALID_ZERO = {'beta1', 'beta2', 'seed'}     # 0 is in range for these


def test_bad_input_gets_a_message_and_nothing_runs(open_app):
    page, recorder = open_app()
    set_field(page, 'num_steps', 3)
    run_to_end(page, 60_000)
    before = console_text(page)
    tried = 0
    for field in INT_FIELDS + FLOAT_FIELDS:
        good = page.get_by_label(field, exact=True).input_value()
        bad_values = [v for v in BAD_VALUES if not (v == '0' and field in VALID_ZERO)]
        if field in INT_FIELDS:
            bad_values.append('0.5')            # a fraction where a whole number is needed
        for bad in bad_values:
            set_field(page, field, bad)
            alert = page.locator(f'#hp-{field}-error[role=alert]')
            expect(alert).not_to_be_empty()
            assert field in alert.text_content()
            page.get_by_role('button', name='Train').click()
            assert page.get_attribute('body', 'data-state') == 'ready'
            assert console_text(page) == before
            tried += 1
            set_field(page, field, good)
            expect(page.locator(f'#hp-{field}-error')).to_be_empty()
    # n_head must divide n_embd
    set_field(page, 'n_head', 3)
    expect(page.locator('#hp-n_head-error')).to_contain_text('divide')
    page.get_by_role('button', name='Train').click()
    assert console_text(page) == before
    assert tried == 6 * 11 + 4 * 10 - 3
    assert recorder.errors == []
    # text typed into a field never became markup
    assert page.locator('img').count() == 0


def test_tabs_split_and_settings_survive_a_reload(open_app):
    page, _ = open_app()
    tab = page.get_by_role('tab', name='Training')
    tab.focus()
    page.keyboard.press('ArrowLeft')
    expect(page.get_by_role('tab', name='Attention')).to_have_attribute('aria-selected', 'true')
    expect(page.get_by_role('tab', name='Attention')).to_be_focused()
    divider = page.get_by_role('separator', name='Resize panes')
    divider.focus()
    for _ in range(5):
        page.keyboard.press('ArrowRight')
    split = divider.get_attribute('aria-valuenow')
    assert split == '60'
    set_field(page, 'n_embd', 32)
    page.reload()
    wait_state(page, 'ready')
    expect(page.get_by_role('tab', name='Attention')).to_have_attribute('aria-selected', 'true')
    assert page.get_by_role('separator', name='Resize panes').get_attribute('aria-valuenow') == '60'
    expect(page.get_by_label('n_embd', exact=True)).to_have_value('32')


def test_narrow_screen_stacks_the_panes(open_app):
    page, _ = open_app(viewport=(390, 844))
    code = page.locator('#code').bounding_box()
    viz = page.locator('.viz-pane').bounding_box()
    assert code['y'] >= viz['y'] + viz['height'] - 1   # code below the visualization
    screenshot(page, 'shell-390x844')
    page.locator('#code').scroll_into_view_if_needed()
    screenshot(page, 'shell-390x844-code')
