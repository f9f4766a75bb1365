"""A phone (390 px wide) and a small laptop (1024 px): the form folds away, every tab is in sight,
and a link to the code has a way back."""
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

TABS = ['Architecture', 'Autograd', 'Attention', 'Training', 'Data', 'Runs']


def inside(box, outer):
    return box['x'] >= outer['x'] - 0.5 and box['x'] + box['width'] <= outer['x'] + outer['width'] + 0.5


def test_phone_folds_the_form_shows_every_tab_and_leads_back_from_the_code(open_app):
    page, recorder = open_app(viewport=(390, 844))
    summary = page.locator('#hp-box > summary')
    expect(summary).to_be_visible()
    expect(summary).to_contain_text('n_embd 16')
    expect(page.get_by_label('n_embd', exact=True)).to_be_hidden()
    screenshot(page, 'phone-390-start')

    # every tab is on screen, none scrolled out of sight
    pane = page.locator('.viz-pane').bounding_box()
    for name in TABS:
        tab = page.get_by_role('tab', name=name)
        expect(tab).to_be_in_viewport(ratio=1)
        assert inside(tab.bounding_box(), pane), name
    page.get_by_role('tab', name='Runs').click()
    expect(page.get_by_role('tab', name='Runs')).to_have_attribute('aria-selected', 'true')
    page.get_by_role('tab', name='Architecture').click()

    # a block's code is below the views; a button leads back to the block
    block = page.get_by_role('button', name='Token embedding', exact=True)
    block.click()
    expect(page.locator('#code .line.is-highlighted').filter(has_text='tok_emb')).to_be_in_viewport()
    back = page.get_by_role('button', name='Back to Token embedding')
    expect(back).to_be_visible()
    expect(block).not_to_be_in_viewport()
    screenshot(page, 'phone-390-code-with-way-back')
    back.click()
    expect(block).to_be_in_viewport()
    expect(block).to_be_focused()
    expect(back).to_be_hidden()

    # opening the form; a field with a problem is never folded away
    summary.click()
    field = page.get_by_label('n_head', exact=True)
    expect(field).to_be_visible()
    field.fill('3')
    expect(page.locator('#hp-n_head-error')).to_contain_text('divide')
    summary.click()
    expect(field).to_be_hidden()
    page.get_by_role('button', name='Train').click()   # nothing runs; the form opens at the wrong field
    expect(field).to_be_visible()
    expect(field).to_be_focused()
    # focusing a field shows its line, down in the code: the way back leads to the field again
    page.get_by_role('button', name='Back to n_head').click()
    expect(field).to_be_in_viewport()
    screenshot(page, 'phone-390-form-open')
    page.locator('#code').scroll_into_view_if_needed()          # once back, the button is gone for good
    expect(page.locator('.code-back')).to_be_hidden()
    assert recorder.errors == []


def test_1024_shows_every_tab(open_app):
    page, recorder = open_app(viewport=(1024, 768))
    pane = page.locator('.viz-pane').bounding_box()
    expect(page.get_by_label('n_embd', exact=True)).to_be_visible()   # wide enough: the form is open
    expect(page.locator('#hp-box > summary')).to_be_hidden()
    for name in TABS:
        tab = page.get_by_role('tab', name=name)
        expect(tab).to_be_in_viewport(ratio=1)
        assert inside(tab.bounding_box(), pane), name
    screenshot(page, 'laptop-1024-tabs')
    assert recorder.errors == []
