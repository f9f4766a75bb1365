"""The Architecture and Attention tabs, as a learner uses them, checked against CPython."""
import re

from playwright.sync_api import expect

from tests.conftest import ROOT, load
from tests.e2e.conftest import inspect, run_to_end, screenshot, set_field

NAME = 'olivia'


def train(page, steps=20):
    set_field(page, 'num_steps', steps)
    run_to_end(page)


def cpython_probs(weights, text, tmp_path):
    """softmax(gpt(...)) per position in CPython, microgpt.py's own code with the page's weights."""
    g = load(tmp_path, (ROOT / 'input.txt').read_text())
    for name, matrix in g['state_dict'].items():
        for row, numbers in zip(matrix, weights[name], strict=True):
            for p, x in zip(row, numbers, strict=True):
                p.data = x
    tokens = [g['BOS']] + [g['uchars'].index(ch) for ch in text] + [g['BOS']]
    keys, values = [[] for _ in range(g['n_layer'])], [[] for _ in range(g['n_layer'])]
    n = min(g['block_size'], len(tokens) - 1)
    probs = [[p.data for p in g['softmax'](g['gpt'](tokens[i], i, keys, values))] for i in range(n)]
    return probs, g


def table_values(table):
    """[[float or None per cell]] of a heatmap table's body rows (None: an empty cell)."""
    return table.evaluate('''t => [...t.tBodies[0].rows].map(r => [...r.cells].filter(c => c.tagName === 'TD')
      .map(c => c.dataset.value === undefined ? null : Number(c.dataset.value)))''')


def test_attention_tables_are_causal_rows_summing_to_one(open_app):
    page, recorder = open_app()
    train(page)
    page.get_by_role('tab', name='Attention').click()
    page.get_by_label('Name to read').fill(NAME)
    page.get_by_role('button', name='Show').click()
    expect(page.get_by_role('status').filter(has_text=f'{NAME}: ')).to_contain_text('after step 20')
    n_head = int(page.evaluate('MGV.store.state.texts.n_head'))
    for h in range(n_head):
        page.get_by_label('Head', exact=True).select_option(str(h + 1))
        table = page.get_by_role('table', name=f'Layer 1, head {h + 1} attention weights')
        expect(table).to_be_visible()
        rows = table_values(table)
        assert len(rows) == len(NAME) + 1
        for query, row in enumerate(rows):
            present = [k for k, w in enumerate(row) if w is not None]
            assert present == list(range(query + 1))        # only keys at or before the query
            assert abs(sum(row[: query + 1]) - 1) < 1e-6
    # the overview: one small heatmap per head; clicking one selects it
    page.get_by_role('button', name=f'Layer 1, head {n_head}').click()
    expect(page.get_by_role('table', name=f'Layer 1, head {n_head} attention weights')).to_be_visible()
    expect(page.get_by_label('Head', exact=True)).to_have_value(str(n_head))
    screenshot(page, 'attention-after-20-steps')
    assert recorder.errors == []


def test_forward_animation_matches_cpython(open_app, tmp_path):
    page, recorder = open_app()
    page.get_by_role('tab', name='Architecture').click()
    panel = page.get_by_role('tabpanel', name='Architecture')
    expect(panel.get_by_text('Press Train (or Train then Stop) to create the model first')).to_be_visible()
    expect(page.get_by_role('button', name='Run forward pass')).to_be_disabled()
    train(page)

    page.get_by_label('Name to run').fill('em7')
    page.get_by_role('button', name='Run forward pass').click()
    expect(page.get_by_role('status').filter(has_text='does not know')).to_contain_text("'7'")

    page.get_by_label('Name to run').fill(NAME)
    page.get_by_role('button', name='Run forward pass').click()
    step = page.get_by_label('Step', exact=True)
    expect(step).to_be_visible()
    controls = page.get_by_role('group', name='Animation controls')
    # a few steps by hand: the diagram and the code follow
    controls.get_by_role('button', name='Step forward').click()
    expect(page.locator('.arch .is-current')).to_have_text('Position embedding')
    expect(page.locator('.code .line.is-highlighted')).to_contain_text("'wpe'")
    controls.get_by_role('button', name='Step back').click()
    expect(page.locator('.arch .is-current')).to_have_text('Token embedding')
    controls.get_by_role('button', name='Play').click()
    expect(controls.get_by_role('button', name='Pause')).to_be_enabled()
    expect(page.locator('.arch .is-current')).not_to_have_text('Token embedding')   # it moves by itself
    controls.get_by_role('button', name='Pause').click()
    screenshot(page, 'architecture-forward-after-20-steps')

    step.focus()
    page.keyboard.press('End')
    probs_table = page.get_by_role('table', name=re.compile('^Next character after “a”'))
    expect(probs_table).to_be_visible()
    expect(page.locator('.arch .is-current')).to_have_text('Softmax')
    shown = probs_table.evaluate('''t => [...t.tBodies[0].rows].map(r => [r.cells[0].textContent, Number(r.cells[2].dataset.value)])''')
    page.get_by_role('button', name='Show the numbers').click()
    every = page.locator('.fw-table td[data-value]').evaluate_all('cells => cells.map(c => Number(c.dataset.value))')

    weights = inspect(page, 'weights')['result']
    probs, g = cpython_probs(weights, NAME, tmp_path)
    final = probs[-1]
    assert len(every) == len(final)
    assert all(abs(a - b) < 1e-9 for a, b in zip(every, final))
    label = lambda ch: '⟨BOS⟩' if ch is None else ch  # noqa: E731
    vocab = {label(ch): i for i, ch in enumerate(g['uchars'])} | {'⟨BOS⟩': g['BOS']}
    assert len(shown) >= 10
    for ch, p in shown:
        assert abs(p - final[vocab[ch]]) < 1e-9
    assert [p for _, p in shown[:10]] == sorted([p for _, p in shown[:10]], reverse=True)
    expect(probs_table.locator('tr.is-target th')).to_have_text('⟨BOS⟩')   # after "olivia" comes the end
    screenshot(page, 'architecture-after-20-steps')
    assert recorder.errors == []


BLOCKS = {
    'RMSNorm': 'def rmsnorm',
    'Token embedding': "'wte'",
    'Position embedding': "'wpe'",
    'Attention': 'attn_wq',
    'Attention head 1': 'for h in range(n_head)',
    'Residual': 'x_residual)]',
    'MLP': 'mlp_fc1',
    'LM head': "'lm_head'",
    'Softmax': 'def softmax',
}


def test_blocks_link_to_code_and_follow_the_settings(open_app):
    page, _ = open_app()
    page.get_by_role('tab', name='Architecture').click()
    for name, text in BLOCKS.items():
        page.get_by_role('button', name=name, exact=True).first.click()
        expect(page.locator('.code .line.is-highlighted').filter(has_text=text).first).to_be_visible()
    n_head = int(page.evaluate('MGV.store.state.texts.n_head'))
    expect(page.get_by_role('button', name=re.compile(r'^Attention head \d+$'))).to_have_count(n_head)
    set_field(page, 'n_embd', 8)
    set_field(page, 'n_head', 2)
    set_field(page, 'n_layer', 2)
    expect(page.get_by_role('button', name=re.compile(r'^Attention head \d+$'))).to_have_count(4)
    expect(page.get_by_role('region', name=re.compile('^Layer'))).to_have_count(2)
