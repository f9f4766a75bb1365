"""The Autograd tab and the parameter cards, after a real run in the browser: their numbers are
the ones CPython's microgpt.py gives for the same weights."""
import re
import sys
import tempfile

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, SOURCE, load
from tests.e2e.conftest import inspect, run_to_end, screenshot, set_field, wait_state

sys.path.insert(0, str(ROOT / "py"))
import graph_slice  # noqa: E402


def cpython_globals(weights):
    """microgpt.py's globals in CPython (on the page's input.txt), with the page's weights."""
    folder = tempfile.mkdtemp()
    g = load(folder, (ROOT / "input.txt").read_text())
    for name, mat in g["state_dict"].items():
        for row, new_row in zip(mat, weights[name], strict=True):
            for p, x in zip(row, new_row, strict=True):
                p.data = x
    return g


@pytest.fixture(scope="module")
def trained(browser, base_url):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base_url)
    wait_state(page, "ready", 60_000)
    set_field(page, "num_steps", 20)
    run_to_end(page)
    expect(page.locator("#stat-step")).to_have_text(re.compile(r"^20 /"))
    yield page, errors
    ctx.close()


def graph_nodes(page):
    return page.locator(".ag-graph g.ag-node")


def dom_grads(page):
    return [float(x) for x in page.locator(".ag-graph g.ag-node").evaluate_all("els => els.map(e => e.dataset.grad)")]


@pytest.mark.parametrize("slice_label,slice", [("rmsnorm", "rmsnorm"), ("One MLP neuron", "neuron"),
                                               ("Loss at one position", "loss")])
def test_graph_grads_equal_cpython(trained, slice_label, slice):
    page, errors = trained
    page.get_by_role("tab", name="Autograd").click()
    page.get_by_role("radio", name=slice_label).check()
    page.get_by_role("button", name="Build graph").click()
    expect(page.get_by_role("status").filter(has_text="Built after step 20")).to_be_visible()
    count = graph_nodes(page).count()
    assert 15 <= count <= 80
    # the replay starts where backward() does: the root's grad is 1, every other grad 0
    assert dom_grads(page) == [0.0] * (count - 1) + [1.0]
    expect(page.get_by_role("button", name="Step backward")).to_be_enabled()
    page.get_by_role("button", name="To the end").click()

    # the same slice in CPython, from the same weights and the same document
    weights = inspect(page, "weights")["result"]
    shown = inspect(page, "graph", {"slice": slice})["result"]
    g = cpython_globals(weights)
    mine = graph_slice.graph(g, SOURCE, slice, doc=shown.get("doc"), pos=shown.get("pos", 1), char=shown.get("char"))
    assert [n["op"] for n in mine["nodes"]] == [n["op"] for n in shown["nodes"]]
    assert dom_grads(page) == pytest.approx([n["grad"] for n in mine["nodes"]], rel=1e-9, abs=1e-12)
    data = [float(x) for x in graph_nodes(page).evaluate_all("els => els.map(e => e.dataset.data)")]
    assert data == pytest.approx([n["data"] for n in mine["nodes"]], rel=1e-9, abs=1e-12)
    assert errors == []


def test_stepping_backward_follows_the_listed_order(trained):
    page, errors = trained
    page.get_by_role("tab", name="Autograd").click()
    page.get_by_role("radio", name="rmsnorm").check()
    page.get_by_role("button", name="Build graph").click()
    expect(page.get_by_role("status").filter(has_text="Built after step 20")).to_be_visible()
    page.get_by_role("button", name="To the end").click()
    final = dom_grads(page)

    page.get_by_role("button", name="Reset grads").click()
    assert set(dom_grads(page)) == {0.0}
    order = page.get_by_role("list", name="Backward order").get_by_role("listitem")
    total = order.count()
    code_lines = page.locator("#code .line.is-highlighted")
    before = dom_grads(page)
    for k in range(1, total + 1):
        page.get_by_role("button", name="Step backward").click()
        item = order.nth(k - 1)
        expect(item).to_have_attribute("aria-current", "step")
        after = dom_grads(page)
        lit = [int(x) for x in page.locator(".ag-graph g.ag-node.is-changed").evaluate_all("els => els.map(e => e.dataset.id)")]
        changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
        if k == 1:
            assert "grad = 1" in item.text_content() and after[-1] == 1.0
        else:
            node = int(item.get_attribute("data-node"))
            # the node whose chain rule runs is complete, and only its children change
            assert after[node] == final[node]
            assert set(changed) <= set(lit)
            assert all(i < node for i in lit)
        expect(code_lines.first).to_be_visible()
        before = after
    assert dom_grads(page) == final
    assert "child.grad += local_grad * node.grad" in " ".join(code_lines.all_text_contents())
    expect(page.get_by_role("button", name="Step backward")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(order.nth(total - 2)).to_have_attribute("aria-current", "step")

    # an operation's link shows its code
    page.get_by_role("button", name="__mul__", exact=True).click()
    expect(code_lines.first).to_contain_text("def __mul__")

    # for the record: the loss slice, part way through its backward pass
    page.get_by_role("radio", name="Loss at one position").check()
    page.get_by_role("button", name="Build graph").click()
    expect(page.get_by_role("status").filter(has_text="The loss at position")).to_be_visible()
    page.get_by_role("button", name="Reset grads").click()
    for _ in range(6):
        page.get_by_role("button", name="Step backward").click()
    page.get_by_role("heading", name="Autograd: a small graph, built by Value").scroll_into_view_if_needed()
    expect(code_lines.first).to_be_in_viewport()
    screenshot(page, "autograd-after-20-steps")
    assert errors == []


def test_graph_reads_well_legend_zoom_and_labels(trained):
    page, errors = trained
    page.get_by_role("tab", name="Autograd").click()
    page.get_by_role("radio", name="Loss at one position").check()
    page.get_by_role("button", name="Build graph").click()
    expect(page.get_by_role("status").filter(has_text="The loss at position")).to_be_visible()
    box = page.get_by_label(re.compile("^Computation graph \\(drag"))
    # the replay starts at the root, in sight
    root = page.locator(".ag-graph g.ag-node.is-changed")
    expect(root).to_have_count(1)
    expect(root).to_be_in_viewport(ratio=1)
    expect(page.get_by_text("the root's grad is 1")).to_be_visible()
    # Play backward runs the replay from there; pressing again pauses it
    page.get_by_role("button", name="Play backward").click()
    expect(page.locator(".ag-step-note")).to_have_text(re.compile(r"^Step [3-9]"))
    page.get_by_role("button", name="Pause replay").click()
    expect(page.get_by_role("button", name="Play backward")).to_be_focused()
    page.get_by_role("button", name="Previous").click()
    page.get_by_role("button", name="Reset grads").click()
    page.get_by_role("button", name="Step backward").click()
    expect(root).to_have_count(1)
    # a legend says what the colours mean; edge labels are 11 px or more at 100%
    legend = page.get_by_role("list", name="Colours in the graph")
    for words in ("a parameter or input", "a constant", "chain rule runs now", "grad it just changed", "local gradients"):
        expect(legend).to_contain_text(words)
    sizes = page.locator(".ag-edge-labels text").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    fonts = page.locator(".ag-edge-labels text").evaluate_all("els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(fonts) >= 11 and min(sizes) >= 10
    # Fit: the whole graph in its box, nothing cut at the top (or anywhere)
    page.get_by_role("button", name="Fit the whole graph").click()
    expect(page.locator(".ag-zoom-note")).to_contain_text("%")
    outer = box.bounding_box()
    for el in page.locator(".ag-graph g.ag-node").all():
        b = el.bounding_box()
        assert outer["y"] - 0.5 <= b["y"] and b["y"] + b["height"] <= outer["y"] + outer["height"] + 0.5
        assert outer["x"] - 0.5 <= b["x"] and b["x"] + b["width"] <= outer["x"] + outer["width"] + 0.5
    labels = page.locator(".ag-graph text.ag-label").all()
    assert labels and min(t.bounding_box()["y"] for t in labels) >= outer["y"]
    screenshot(page, "autograd-fit")
    # zoom by buttons and keys; 100% again
    width = lambda: float(page.locator(".ag-graph svg").get_attribute("width"))
    fit_width = width()
    page.get_by_role("button", name="100% (actual size)").click()
    natural = width()
    assert natural > fit_width
    page.get_by_role("button", name="Zoom in").click()
    assert width() > natural
    box.focus()
    page.keyboard.press("-")
    assert width() == natural
    screenshot(page, "autograd-100")
    assert errors == []


def test_parameter_cards(trained):
    page, errors = trained
    page.get_by_role("tab", name="Architecture").click()
    matrices = page.get_by_role("list", name="Parameter matrices")
    cards = matrices.get_by_role("listitem")
    names = inspect(page, "weights")["result"].keys()
    expect(cards).to_have_count(len(names))
    for name in names:   # (the paper table links wpe too: only the cards' buttons count here)
        expect(matrices.get_by_role("button", name=name, exact=True)).to_be_visible()
    wte = cards.filter(has=page.get_by_role("button", name="wte", exact=True))
    expect(wte).to_contain_text(re.compile(r"grad norm \d"))
    expect(wte).to_contain_text("init std 0.02")
    expect(page.get_by_text("gradient norms from step 20's backward()")).to_be_visible()
    matrices.scroll_into_view_if_needed()
    matrices.get_by_role("button", name="wte", exact=True).click()
    lit = page.locator("#code .line.is-highlighted")
    expect(lit.first).to_be_in_viewport()
    texts = lit.all_text_contents()
    assert len(texts) >= 2 and all("wte" in t for t in texts)
    screenshot(page, "architecture-param-cards-after-20-steps")
    assert errors == []


def test_before_any_run_the_autograd_tab_explains(open_app):
    page, recorder = open_app()
    page.get_by_role("tab", name="Autograd").click()
    expect(page.get_by_text("Press Train first (or Train then Stop)")).to_be_visible()
    expect(page.get_by_role("button", name="Build graph")).to_be_disabled()
    expect(page.get_by_role("button", name="Step backward")).to_be_disabled()
    # the operations table links to the code even without a model
    page.get_by_role("button", name="__pow__", exact=True).click()
    expect(page.locator("#code .line.is-highlighted").first).to_contain_text("def __pow__")
    page.get_by_role("tab", name="Architecture").click()
    expect(page.get_by_text("Press Train to fill these cards")).to_be_visible()
    assert recorder.errors == []
