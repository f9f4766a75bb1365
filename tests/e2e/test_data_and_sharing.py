"""Your own data, shareable links, comparing runs, saving and loading a model, as a learner does it."""
import json
import re
import tempfile

from playwright.sync_api import expect

from tests.conftest import run_script
from tests.e2e.conftest import console_output, run_to_end, screenshot, set_field

# Made-up documents with capitals, a space, an accent and a symbol: a vocabulary unlike the names'.
CUSTOM = '\n'.join(['Zorblax', 'Quen Tu', 'Vélmora', 'Xix', 'Brannok', 'Yyzzq', 'Ophira', 'Kael-7',
                    'Dunmere', 'Ilsabeth', 'Torv', 'Ankh', 'Mirrowen', 'Pelleas', 'Gorm', 'Fae Lin']) + '\n'


def open_tab(page, name):
    page.get_by_role('tab', name=name).click()


def use_text(page, text):
    open_tab(page, 'Data')
    page.get_by_label('Your text (one document per line)').fill(text)
    page.get_by_role('button', name='Use this text').click()


def train_to_end(page, timeout=180_000):
    run_to_end(page, timeout)


def cpython(text, **values):
    with tempfile.TemporaryDirectory() as folder:
        result = run_script(folder, text, **values)
        assert result.returncode == 0, result.stderr
        return result.stdout


def sample_names(page):
    page.get_by_role('tab', name='Training').click()
    page.get_by_role('button', name='Generate').click()
    items = page.get_by_role('list', name='Samples').get_by_role('button')
    expect(items).to_have_count(10)
    return items.all_text_contents()


def test_custom_data_trains_and_samples_from_its_own_vocabulary(open_app, base_url):
    page, recorder = open_app()
    use_text(page, CUSTOM)
    expect(page.get_by_role('radio', name=re.compile('Your own text'))).to_be_checked()
    expect(page.get_by_role('status').filter(has_text='Pasted text: 16 documents')).to_be_visible()
    expect(page.get_by_role('group', name='Data and link')).to_contain_text('Pasted text')
    set_field(page, 'num_steps', 20)
    train_to_end(page)
    expected = cpython(CUSTOM, num_steps=20)
    assert 'num docs: 16' in expected and f'vocab size: {len(set(CUSTOM) - {chr(10)}) + 1}' in expected
    assert console_output(page) == expected            # digit for digit, as CPython prints it
    # samples from the model use the new vocabulary
    for name in sample_names(page):
        assert set(name) <= set(CUSTOM) | {'(', ')', 'e', 'm', 'p', 't', 'y'}, name
    # the Architecture tab's example follows the data
    open_tab(page, 'Architecture')
    expect(page.locator('#fw-text')).to_have_value('Zorblax')
    assert recorder.off_origin(base_url) == [] and recorder.errors == []


def test_bundled_data_sets_state_their_provenance_and_limits_are_enforced(open_app):
    page, recorder = open_app()
    open_tab(page, 'Data')
    for name in ['Baby names', 'Pokémon', 'Superheroes', 'Dog names']:
        expect(page.get_by_role('radio', name=re.compile(name))).to_be_visible()
    expect(page.get_by_role('radio', name=re.compile('Baby names'))).to_be_checked()
    expect(page.get_by_role('group', name='Data set')).to_contain_text('npm package pokemon 3.3.1')
    page.get_by_role('radio', name=re.compile('Superheroes')).check()
    # longer lines than block_size: what microgpt.py does with them is said
    expect(page.get_by_text(re.compile(r'lines have 8 or more characters: a step trains on the first block_size \(8\)'))).to_be_visible()
    expect(page.get_by_role('list', name='First lines').get_by_role('listitem').first).to_have_text('3-D Man')
    set_field(page, 'block_size', 32)
    expect(page.get_by_text(re.compile(r'lines have 32 or more'))).to_have_count(0)
    set_field(page, 'block_size', 8)
    screenshot(page, 'data-panel-1440x900')

    # refused text: an alert, and the data stays what it was
    cases = [('   \n\n', 'There is no text'),
             ('ok\nbad\ttab\n', 'U+0009'),
             ('fine\n' + 'x' * 300 + '\n', 'has 300 characters; the limit is 256'),
             ('a\u202eb\n', 'U+202E'),
             (''.join(chr(0x4e00 + i) + '\n' for i in range(250)), '250 different characters')]
    for text, message in cases:
        use_text(page, text)
        expect(page.get_by_role('alert').filter(has_text=message)).to_be_visible()
        expect(page.get_by_role('radio', name=re.compile('Superheroes'))).to_be_checked()
    page.get_by_label('or choose a file').set_input_files(files=[{'name': 'big.txt', 'mimeType': 'text/plain', 'buffer': b'a\n' * 600_000}])
    expect(page.get_by_role('alert').filter(has_text='big.txt is 1.2 MB; the limit is 1 MB')).to_be_visible()
    page.get_by_label('or choose a file').set_input_files(files=[{'name': 'latin1.txt', 'mimeType': 'text/plain', 'buffer': b'caf\xe9\n'}])
    expect(page.get_by_role('alert').filter(has_text='latin1.txt is not UTF-8 text')).to_be_visible()
    # a good file is used, and markup in it stays text
    page.get_by_label('or choose a file').set_input_files(files=[{'name': 'mine.txt', 'mimeType': 'text/plain',
                                                                   'buffer': '<img src=x onerror=alert(1)>\nzed\n'.encode()}])
    expect(page.get_by_role('radio', name=re.compile('Your own text'))).to_be_checked()
    expect(page.get_by_role('list', name='First lines').get_by_role('listitem').first).to_have_text('<img src=x onerror=alert(1)>')
    assert page.locator('img').count() == 0 and recorder.errors == []


def test_a_shared_link_restores_the_configuration_in_a_fresh_page(open_app, browser, base_url):
    page, _ = open_app()
    for name, value in [('n_embd', 8), ('n_head', 2), ('block_size', 12), ('temperature', 0.7), ('num_steps', 7), ('seed', 7)]:
        set_field(page, name, value)
    open_tab(page, 'Data')
    page.get_by_role('radio', name=re.compile('Pokémon')).check()
    open_tab(page, 'Attention')
    ctx = page.context
    ctx.grant_permissions(['clipboard-read', 'clipboard-write'], origin=base_url.rstrip('/'))
    page.get_by_role('button', name='Copy link').click()
    expect(page.get_by_role('status').filter(has_text='Link copied')).to_be_visible()
    link = page.evaluate('navigator.clipboard.readText()')
    assert link.startswith(base_url) and 'data=pokemon' in link and 'tab=attention' in link

    fresh, _ = open_app(url=link, context=browser.new_context(viewport={'width': 1440, 'height': 900}))
    for name, value in [('n_embd', '8'), ('n_head', '2'), ('block_size', '12'), ('temperature', '0.7'), ('num_steps', '7'), ('seed', '7'), ('n_layer', '1')]:
        expect(fresh.get_by_label(name, exact=True)).to_have_value(value)
    expect(fresh.get_by_role('tab', name='Attention')).to_have_attribute('aria-selected', 'true')
    expect(fresh.get_by_role('group', name='Data and link')).to_contain_text('Pokémon')
    expect(fresh.get_by_role('list', name='Link problems')).to_have_count(0)
    # the code pane shows the link's values before anything runs
    expect(fresh.locator('.line.is-changed').filter(has_text='n_embd = 8')).to_have_count(1)
    # and it runs that configuration on that data: what CPython prints for the same
    train_to_end(fresh)
    pokemon = fresh.evaluate("MGV.bundle.datasets.find((d) => d.id === 'pokemon').text")
    assert console_output(fresh) == cpython(pokemon, n_embd=8, n_head=2, block_size=12, temperature=0.7, num_steps=7, seed=7)
    expect(fresh.locator('.line.is-changed').filter(has_text='n_embd = 8')).to_have_count(1)

    # without a clipboard, the link is shown selected in a read-only field
    bare = browser.new_context(viewport={'width': 1440, 'height': 900})
    bare.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})")
    plain, _ = open_app(url=link, context=bare)
    plain.get_by_role('button', name='Copy link').click()
    field = plain.get_by_role('textbox', name='Link to these settings')
    expect(field).to_be_visible()
    expect(field).to_have_value(link)
    expect(field).to_be_focused()


def test_a_tampered_link_is_refused_field_by_field(open_app, base_url):
    tampered = ('#n_embd=abc&n_head=3&learning_rate=5&num_steps=9&seed=-1&data=..%2Fetc%2Fpasswd'
                '&tab=%3Cimg%20src%3Dx%3E&n_layer=1&n_layer=2&bogus=1')
    page, recorder = open_app(url=base_url + tampered)
    problems = page.get_by_role('list', name='Link problems').get_by_role('listitem')
    expect(problems).to_have_count(8)
    texts = problems.all_text_contents()
    for field in ['n_embd', 'n_head', 'learning_rate', 'seed', 'data', 'tab', 'n_layer', 'bogus']:
        assert sum(field in t for t in texts) >= 1, (field, texts)
    assert any('n_head must divide n_embd (16)' in t for t in texts)
    assert any('more than once' in t and 'n_layer' in t for t in texts)
    # refused values left the defaults; the one good value was used
    for name, value in [('n_embd', '16'), ('n_head', '4'), ('learning_rate', '0.01'), ('seed', '42'), ('n_layer', '1'), ('num_steps', '9')]:
        expect(page.get_by_label(name, exact=True)).to_have_value(value)
    expect(page.get_by_role('tab', name='Training')).to_have_attribute('aria-selected', 'true')
    expect(page.get_by_role('group', name='Data and link')).to_contain_text('Baby names')
    assert page.locator('img').count() == 0 and recorder.errors == []
    # the address now holds only what is in force
    assert 'bogus' not in page.url and 'n_embd=16' in page.url and 'num_steps=9' in page.url
    page.get_by_role('button', name='Dismiss').click()
    expect(page.get_by_role('list', name='Link problems')).to_have_count(0)


def test_two_runs_overlay_with_a_legend_of_what_changed(open_app):
    page, _ = open_app()
    set_field(page, 'num_steps', 25)
    train_to_end(page)
    first = console_output(page)
    set_field(page, 'n_embd', 32)
    train_to_end(page)
    second = console_output(page)
    open_tab(page, 'Runs')
    legend = page.get_by_role('list', name='Runs').get_by_role('listitem')
    expect(legend).to_have_count(2)
    expect(legend.nth(0)).to_contain_text('Run 1')
    expect(legend.nth(0)).to_contain_text('Baby names, n_embd 16')
    expect(legend.nth(1)).to_contain_text('Run 2')
    expect(legend.nth(1)).to_contain_text('n_embd 16 → 32')
    expect(legend.nth(1)).to_contain_text('step 25 of 25')
    assert 'n_head' not in legend.nth(1).text_content()
    expect(page.get_by_role('img', name=re.compile('Loss of each run'))).to_be_visible()
    # samples side by side: what each run printed at its end
    for n, output in [(1, first), (2, second)]:
        column = page.get_by_role('region', name=f'Samples of run {n}').get_by_role('listitem')
        printed = re.findall(r'^sample\s+\d+: (.*)$', output, re.M)
        expect(column).to_have_count(20)
        assert [t if t != '(empty)' else '' for t in column.all_text_contents()] == printed
    # any two: the choice swaps the columns
    page.get_by_label('Left', exact=True).select_option('Run 2')
    page.get_by_label('Right', exact=True).select_option('Run 1')
    regions = page.locator('.runs-column')
    expect(regions.nth(0)).to_have_attribute('aria-label', 'Samples of run 2')
    expect(regions.nth(1)).to_have_attribute('aria-label', 'Samples of run 1')
    # the log of a run: its config, every step's loss as printed, its samples
    with page.expect_download() as info:
        page.get_by_role('button', name='Download log of run 2').click()
    log = json.loads(open(info.value.path()).read())
    assert log['config']['n_embd'] == 32 and log['data']['name'] == 'Baby names'
    assert [f"{s['loss']:.4f}" for s in log['steps']] == re.findall(r'\| loss (\d+\.\d+)', second)
    assert log['samples'] == re.findall(r'^sample\s+\d+: (.*)$', second, re.M)
    screenshot(page, 'runs-compare-1440x900')


def test_a_saved_model_reloaded_in_a_fresh_page_samples_the_same_names(open_app, browser, tmp_path):
    page, _ = open_app()
    open_tab(page, 'Data')
    page.get_by_role('radio', name=re.compile('Pokémon')).check()
    set_field(page, 'num_steps', 30)
    set_field(page, 'n_embd', 8)
    set_field(page, 'n_head', 2)
    train_to_end(page)
    before = sample_names(page)
    open_tab(page, 'Runs')
    with page.expect_download() as info:
        page.get_by_role('button', name='Save model').click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    model = json.loads(saved.read_text())
    assert model['steps'] == 30 and model['config']['n_embd'] == 8 and model['data']['id'] == 'pokemon'
    assert 'é' in model['uchars'] and model['vocab_size'] == len(model['uchars']) + 1

    fresh, recorder = open_app(context=browser.new_context(viewport={'width': 1440, 'height': 900}))
    open_tab(fresh, 'Runs')
    fresh.get_by_label('Load model').set_input_files(str(saved))
    expect(fresh.get_by_role('status').filter(has_text=f'Loaded {saved.name}: 30 steps')).to_be_visible(timeout=60_000)
    expect(fresh.get_by_label('n_embd', exact=True)).to_have_value('8')
    expect(fresh.get_by_role('group', name='Data and link')).to_contain_text('Pokémon')
    assert sample_names(fresh) == before
    assert recorder.errors == []

    # damaged files, and a file whose settings do not fit its weights, get a clear message
    open_tab(fresh, 'Runs')
    bad = [('broken.json', saved.read_text()[:-100], 'not JSON'),
           ('other.json', json.dumps({**model, 'format': 'x'}), 'not a microgpt-viz model file'),
           ('wide.json', json.dumps({**model, 'config': {**model['config'], 'n_embd': 16}}), 'wte is'),
           ('huge.json', json.dumps({**model, 'config': {**model['config'], 'n_embd': 999}}), 'its n_embd: n_embd must be from 4 to 64')]
    for name, text, message in bad:
        fresh.get_by_label('Load model').set_input_files(files=[{'name': name, 'mimeType': 'application/json', 'buffer': text.encode()}])
        expect(fresh.get_by_role('alert').filter(has_text=message)).to_be_visible(timeout=60_000)
