"""Where the model's parts are in microgpt.py: the keys of `state_dict` (where each matrix is
made and used) and the statements of gpt() that a diagram's blocks link to. Found with `ast`,
by the names the code assigns and calls, never by line numbers; source_map.py puts this in the map.
"""

import ast
import re


def _start(node):
    # a decorated def starts at its first decorator, as a reader would see it
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decorators])


def _mentions(node, name):
    # a Name `num_steps`, or an attribute like `cfg.num_steps`
    return any((isinstance(n, ast.Name) and n.id == name)
               or (isinstance(n, ast.Attribute) and n.attr == name) for n in ast.walk(node))


# --- state_dict keys ----------------------------------------------------------------------------

def _key_parts(node):
    """A key as a tuple of constant strings and None for each {...} slot, or None if unknown."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                if parts and isinstance(parts[-1], str):
                    parts[-1] += value.value
                else:
                    parts.append(value.value)
            else:
                parts.append(None)
        return tuple(parts)
    return None


def _key_text(node):
    # "layer{i}.attn_wq" for f'layer{i}.attn_wq'
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                       for v in node.values)
    return node.value


def _keys_match(a, b):
    """Do two keys name the same entry? f-string slots match anything."""
    if None in a and None in b:
        return a == b   # compare the constant parts, slot for slot
    if None in a or None in b:
        pattern, plain = (a, b[0]) if None in a else (b, a[0])
        regex = "".join(".*" if p is None else re.escape(p) for p in pattern)
        return re.fullmatch(regex, plain, re.DOTALL) is not None
    return a == b


def _state_dict_key(node):
    """The key node of `state_dict[key]`, else None."""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id == "state_dict"):
        return node.slice
    return None


def _walk_module_level(statements):
    # module-level code only (function and class bodies run later, and only use the dict),
    # in source order so the keys come out in the order they are created
    stack = list(reversed(statements))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _state_dict(tree):
    created = {}   # key text -> (parts, set of lines)

    def create(key_node, row):
        parts = _key_parts(key_node)
        if parts is not None:
            entry = created.setdefault(_key_text(key_node), (parts, set()))
            entry[1].add(row)

    for node in _walk_module_level(tree.body):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "state_dict" for t in node.targets)):
            for key in node.value.keys:
                if key is not None:
                    create(key, key.lineno)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            key = _state_dict_key(node)
            if key is not None:
                create(key, node.lineno)

    used = {name: set() for name in created}
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in (n for stmt in func.body for n in ast.walk(stmt)):
                key = _state_dict_key(node)
                parts = _key_parts(key) if key is not None else None
                if parts is None or not isinstance(node.ctx, ast.Load):
                    continue
                for name, (created_parts, _) in created.items():
                    if _keys_match(parts, created_parts):
                        used[name].add(node.lineno)
    return {name: {"created": sorted(rows), "used": sorted(used[name])}
            for name, (_, rows) in created.items()}


# --- anchors inside gpt() -----------------------------------------------------------------------

def _assigns(stmt, name):
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    return any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t))


def _calls(stmt, name):
    # f(...) or obj.f(...)
    return any(isinstance(n, ast.Call) and (
        (isinstance(n.func, ast.Name) and n.func.id == name)
        or (isinstance(n.func, ast.Attribute) and n.func.attr == name)) for n in ast.walk(stmt))


def _loads(stmt, name):
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
               for n in ast.walk(stmt))


def _uses_key(stmt, suffix):
    # state_dict['lm_head'] or state_dict[f'layer{li}.mlp_fc1'] for suffix 'lm_head' / 'mlp_fc1'
    for n in ast.walk(stmt):
        key = _state_dict_key(n)
        parts = _key_parts(key) if key is not None else None
        if parts and isinstance(parts[-1], str) and parts[-1].endswith(suffix):
            return True
    return False


def _is_elementwise_add(stmt):
    # x = [a + b for a, b in zip(...)]: the embedding sum and the residual connections
    return (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.ListComp)
            and isinstance(stmt.value.elt, ast.BinOp) and isinstance(stmt.value.elt.op, ast.Add))


def _first(statements, test, after=0):
    """The first statement starting after line `after` that passes `test`, or None."""
    return next((s for s in statements if s.lineno > after and test(s)), None)


def _end(node):
    return node.end_lineno if node is not None else 0


def _anchors(tree):
    gpt = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "gpt"), None)
    if gpt is None:
        return {}
    anchors = {}

    def put(name, first, last=None):
        if first is not None:
            anchors[name] = [_start(first), (last or first).end_lineno]

    body = gpt.body
    fors = [s for s in body if isinstance(s, ast.For)]
    layer = next((s for s in fors if _mentions(s.iter, "n_layer")), fors[0] if fors else None)
    before = [s for s in body if layer is None or s.lineno < layer.lineno]
    after = [s for s in body if layer is not None and s.lineno > layer.end_lineno]

    tok = _first(before, lambda s: _assigns(s, "tok_emb")) or _first(before, lambda s: _uses_key(s, "wte"))
    pos = _first(before, lambda s: _assigns(s, "pos_emb")) or _first(before, lambda s: _uses_key(s, "wpe"))
    put("token_embedding", tok)
    put("position_embedding", pos)
    add = (_first(before, lambda s: _loads(s, "tok_emb") and _loads(s, "pos_emb"))
           or _first(before, _is_elementwise_add))
    put("embed_add", add)
    put("embed_norm", _first(before, lambda s: _calls(s, "rmsnorm"),
                             after=max(_end(tok), _end(pos), _end(add))))

    if layer is not None:
        put("layer", layer)
        lb = layer.body
        heads_loops = [s for s in lb if isinstance(s, ast.For)]
        heads = next((s for s in heads_loops if _mentions(s.iter, "n_head")),
                     heads_loops[0] if heads_loops else None)
        attn_out = _first(lb, lambda s: _uses_key(s, "attn_wo"))
        attn_norm = _first(lb, lambda s: _calls(s, "rmsnorm"))
        qkv = [s for s in lb if any(_uses_key(s, k) for k in ("attn_wq", "attn_wk", "attn_wv"))]
        put("attn_norm", attn_norm)
        if qkv:
            put("qkv", qkv[0], qkv[-1])
        cache = [s for s in lb if isinstance(s, ast.Expr) and _calls(s, "append")
                 and (heads is None or s.lineno < heads.lineno)]
        if cache:
            put("kv_cache", cache[0], cache[-1])
        if heads is not None:
            put("attention_heads", heads)
            inside = [n for n in ast.walk(heads) if isinstance(n, ast.stmt) and n is not heads]
            put("attn_logits", _first(inside, lambda s: _assigns(s, "attn_logits")))
            put("attn_softmax", _first(inside, lambda s: _calls(s, "softmax")))
        put("attn_out", attn_out)
        if attn_norm is not None and attn_out is not None:
            put("attention", attn_norm, attn_out)
        attn_done = _end(attn_out) or _end(heads)
        attn_residual = _first(lb, _is_elementwise_add, after=attn_done) if attn_done else None
        put("attn_residual", attn_residual)
        mlp_norm = _first(lb, lambda s: _calls(s, "rmsnorm"),
                          after=_end(attn_residual) or attn_done) if attn_done else None
        fc1 = _first(lb, lambda s: _uses_key(s, "mlp_fc1"))
        fc2 = _first(lb, lambda s: _uses_key(s, "mlp_fc2"))
        put("mlp_norm", mlp_norm)
        put("mlp_fc1", fc1)
        put("relu2", _first(lb, lambda s: _calls(s, "relu")))
        put("mlp_fc2", fc2)
        if mlp_norm is not None and fc2 is not None:
            put("mlp", mlp_norm, fc2)
        if fc2 is not None:
            put("mlp_residual", _first(lb, _is_elementwise_add, after=fc2.end_lineno))

    put("lm_head", _first(after or body, lambda s: _uses_key(s, "lm_head")))
    return anchors
