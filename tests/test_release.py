"""py/release.py: deep graphs are taken apart so freeing them cannot overflow Pyodide's stack."""
import sys

from tests.conftest import ROOT, load, value_class_source

sys.path.insert(0, str(ROOT / 'py'))
import release  # noqa: E402


def chain(Value, length):
    node = Value(1.0)
    for _ in range(length):
        node = node * 1.0 + 0.5
    return node


def test_take_apart_cuts_every_link_of_a_deep_graph():
    g = {}
    exec(value_class_source(), g)
    root = chain(g['Value'], 3000)
    assert release.depth(root) > 6000
    nodes = release._walk(root)
    release.take_apart(root)
    assert all(node._children == () for node in nodes)
    assert root.data == chain(g['Value'], 3000).data   # numbers are untouched


def test_only_wide_models_count_as_deep(tmp_path):
    g = load(tmp_path, 'emma\nolivia\n')
    assert not release.is_deep(g)                      # the defaults: 16 * 1
    assert release.is_deep({'n_embd': 64, 'n_layer': 1})
    assert not release.is_deep({'n_embd': 'x'})        # an edit that renamed things: leave it
