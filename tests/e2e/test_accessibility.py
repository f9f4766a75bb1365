"""Accessibility as a tool checks it: axe-core (pinned in scripts/fetch.py, for the tests only) run
in the page on every tab, in the light and the dark theme, after a short real run so each tab shows
what it draws. Nothing serious or critical may remain."""
import io
import tarfile

import pytest
from playwright.sync_api import expect

from scripts import fetch
from tests.e2e.conftest import BOOT_TIMEOUT, run_to_end, screenshot, set_field, wait_state

TABS = ['Architecture', 'Autograd', 'Attention', 'Training', 'Data', 'Runs']
# the list, checked at any impact (heading-order is only "moderate" to axe)
NAMED = {'color-contrast', 'scrollable-region-focusable', 'label-content-name-mismatch', 'heading-order'}


@pytest.fixture(scope='module')
def axe_source():
    with tarfile.open(fetch.fetch('axe-core')) as tf:
        return tf.extractfile('package/axe.min.js').read().decode('utf-8')


def test_axe_core_is_not_shipped(site):
    import zipfile
    names = [p.name for p in site.rglob('*')]
    assert not [n for n in names if 'axe' in n.lower()]
    with zipfile.ZipFile(io.BytesIO((site.parent / 'microgpt-viz.zip').read_bytes())) as z:
        assert not [n for n in z.namelist() if 'axe' in n.lower()]


def violations(page):
    """axe's violations on the page as it is now: [(impact, rule, [selector: why, ...]), ...]."""
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map((v) => [v.impact, v.id,
            v.nodes.map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' '))]);
    }""")
    return [tuple(v) for v in found]


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_every_tab_passes_axe(scheme, open_app, browser, base_url, axe_source):
    # The page's CSP (script-src 'self') rightly refuses an injected script; this one test bypasses it.
    ctx = browser.new_context(viewport={'width': 1440, 'height': 900}, color_scheme=scheme, bypass_csp=True)
    page, recorder = open_app(context=ctx, wait_ready=False)
    wait_state(page, 'ready', BOOT_TIMEOUT)
    set_field(page, 'num_steps', 5)
    run_to_end(page)
    expect(page.locator('#stat-step')).to_have_text('5 / 5')
    page.add_script_tag(content=axe_source)
    bad = []
    for tab in TABS:
        page.get_by_role('tab', name=tab).click()
        if tab == 'Autograd':
            page.get_by_role('button', name='Build graph').click()
            expect(page.locator('.ag-graph svg')).to_be_visible()
        if tab == 'Attention':
            expect(page.locator('.att-table td[data-value]').first).to_be_visible()
        for impact, rule, nodes in violations(page):
            if impact in ('serious', 'critical') or rule in NAMED:
                bad.append(f'{scheme} {tab}: {impact} {rule}: ' + ' | '.join(nodes[:5]))
        if tab in ('Autograd', 'Attention'):
            screenshot(page, f'a11y-{scheme}-{tab.lower()}')
    assert bad == []
    assert recorder.errors == []
