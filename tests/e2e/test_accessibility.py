"""Accessibility as a tool checks it: axe-core (pinned in scripts/fetch.py, for the tests only) run
in the page on every tab, in the light and the dark theme, after a short real run so each tab shows
what it draws. Nothing serious or critical may remain."""
import io
import tarfile

import pytest
from playwright.sync_api import expect

from scripts import fetch
from tests.e2e.conftest import WATCH_STATES, BOOT_TIMEOUT, run_to_end, screenshot, set_field, wait_seen, wait_state

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


def focused(page):
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim() || document.activeElement.tagName")


def test_buttons_that_start_work_keep_the_keyboard_focus(open_app):
    page, recorder = open_app()
    set_field(page, 'num_steps', 300)
    page.locator('#btn-train').focus()
    page.evaluate(WATCH_STATES)
    page.keyboard.press('Enter')
    wait_seen(page, 'training')
    assert focused(page) == 'btn-train'
    page.locator('#btn-pause').focus()
    page.keyboard.press('Enter')
    wait_state(page, 'paused')
    expect(page.locator('#btn-resume')).to_be_focused()     # Pause went away: Resume is the one that acts now
    page.keyboard.press('Enter')
    wait_state(page, 'training')
    expect(page.locator('#btn-pause')).to_be_focused()
    page.keyboard.press('Enter')
    wait_state(page, 'paused')
    page.locator('#btn-step').focus()
    for _ in range(3):
        before = page.locator('#stat-step').text_content()
        page.keyboard.press('Enter')
        expect(page.locator('#stat-step')).not_to_have_text(before)
        wait_state(page, 'paused')
        assert focused(page) == 'btn-step'
    page.locator('#btn-stop').focus()
    page.keyboard.press('Enter')
    wait_state(page, 'ready')
    stop = page.get_by_role('button', name='Stop', exact=True)
    expect(stop).to_be_focused()                              # still there, and says it cannot act
    expect(stop).to_be_disabled()
    page.keyboard.press('Enter')                              # does nothing
    expect(page.locator('body')).to_have_attribute('data-state', 'ready')
    page.keyboard.press('Shift+Tab')                          # once left, it is disabled as usual
    assert page.evaluate("document.getElementById('btn-stop').disabled")

    # the Autograd tab's buttons too, to the end of the replay
    page.get_by_role('tab', name='Autograd').click()
    build = page.get_by_role('button', name='Build graph')
    build.focus()
    page.keyboard.press('Enter')
    expect(page.get_by_role('status').filter(has_text='Values.')).to_be_visible()
    expect(build).to_be_focused()
    step = page.get_by_role('button', name='Step backward')
    step.focus()
    total = page.get_by_role('list', name='Backward order').get_by_role('listitem').count()
    for _ in range(total - 1):
        page.keyboard.press('Enter')
    expect(page.get_by_text(f'All {total} steps done')).to_be_visible()
    expect(step).to_be_focused()
    expect(step).to_be_disabled()

    # the forward animation: Run keeps focus; Play hands it to Pause, and Pause back to Play
    page.get_by_role('tab', name='Architecture').click()
    run = page.get_by_role('button', name='Run forward pass')
    run.focus()
    page.keyboard.press('Enter')
    controls = page.get_by_role('group', name='Animation controls')
    expect(controls).to_be_visible()
    expect(run).to_be_focused()
    controls.get_by_role('button', name='Play').focus()
    page.keyboard.press('Enter')
    expect(controls.get_by_role('button', name='Pause')).to_be_focused()
    page.keyboard.press('Enter')
    expect(controls.get_by_role('button', name='Play')).to_be_focused()
    assert recorder.errors == []


def test_skip_links_and_the_divider_by_keyboard(open_app):
    page, recorder = open_app()
    hash_before = page.evaluate('location.hash')
    page.keyboard.press('Tab')
    skip = page.get_by_role('link', name='Skip to the views')
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    screenshot(page, 'keyboard-skip-link')
    page.keyboard.press('Enter')
    expect(page.get_by_role('tab', selected=True)).to_be_focused()
    assert page.evaluate('location.hash') == hash_before      # the hash holds the settings, not places
    skip.focus()
    page.keyboard.press('Tab')
    expect(page.get_by_role('link', name='Skip to the code')).to_be_focused()
    page.keyboard.press('Enter')
    expect(page.locator('#code')).to_be_focused()
    first_line = page.locator('#code [data-line="1"]')
    expect(first_line).to_be_in_viewport()
    page.keyboard.press('PageDown')                            # the code scrolls from the keyboard
    expect(first_line).not_to_be_in_viewport()
    divider = page.get_by_role('separator', name='Resize panes')
    divider.focus()
    page.keyboard.press('Home')
    expect(divider).to_have_attribute('aria-valuenow', '20')
    page.keyboard.press('End')
    expect(divider).to_have_attribute('aria-valuenow', '80')
    page.keyboard.press('ArrowLeft')
    expect(divider).to_have_attribute('aria-valuenow', '78')
    assert recorder.errors == []
