"""Frees a deep Value graph without deep recursion.

When the last reference to a graph's root goes, Python frees the root, which frees its children,
which free theirs: one nested C call per level of the graph. Pyodide runs on the browser's stack,
and a graph a few thousand levels deep (the largest models the app allows) overflows it, which
kills the worker. So a deep graph is taken apart first: while a flat list holds every node, each
node's link to its children is cut; dropping the list then frees the nodes one at a time.
Only the links of a finished step's graph are cut; no number changes."""

# A graph's depth grows with n_embd * n_layer (measured: 264 levels at 16 * 1, 804 at 64 * 1,
# 1,533 at 64 * 2); Pyodide under Node overflowed freeing a chain of about 2,300.
DEEP_WIDTH = 48


def is_deep(g):
    """Whether a run's step graphs are deep enough to need taking apart."""
    width = g.get('n_embd', 0) * g.get('n_layer', 0) if all(isinstance(g.get(k), int) for k in ('n_embd', 'n_layer')) else 0
    return width >= DEEP_WIDTH


def _walk(root):
    """Every node reachable from root, children before parents (iterative)."""
    order, seen, stack = [], {id(root)}, [(root, iter(getattr(root, '_children', ())))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(getattr(child, '_children', ()))))
                break
        else:
            order.append(node)
            stack.pop()
    return order


def depth(root):
    """The number of levels on the longest path from root down to a leaf."""
    height = {}
    for node in _walk(root):
        height[id(node)] = 1 + max((height[id(c)] for c in getattr(node, '_children', ())), default=0)
    return height.get(id(root), 0)


def take_apart(root):
    """Cut every node's links to its children, so the graph can be freed level by level."""
    nodes = _walk(root)
    for node in nodes:
        try:
            node._children = ()
        except AttributeError:   # not a microgpt Value (an edited class); leave it
            return
    del nodes
