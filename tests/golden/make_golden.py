#!/usr/bin/env python3
"""Golden values for tests/golden/test_golden.cpp, from an independent PyTorch implementation.

Run (Debian: apt-get install python3-torch):
    /usr/bin/python3 tests/golden/make_golden.py tests/golden

For each case it builds the LongNet language model of README.md ("Model") directly in PyTorch,
in float64, with weights drawn here (rounded to float32 so both sides hold identical values),
and writes the weights, a batch, the logits, the loss and the gradient of every parameter to
<case>.json. Nothing here shares code with longnet: dilated attention is computed the obvious
O(T^2) way, as ONE softmax per query over the multiset union of its patterns' keys (DESIGN.md
§2) with XPOS's decay applied to each (query, key) score, and autograd gives the exact gradient.
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

CASES = {
    # The default kind of model: dilated, XPOS, tied embeddings, paper head offsets.
    "dilated_xpos": dict(vocab=37, d_model=16, layers=2, heads=4, mlp_ratio=2, positions="xpos",
                         kind="dilated", segments=[4, 8, 16], dilations=[1, 2, 4], head_offset="mod",
                         subln=False, tie=True, B=2, T=20),
    # torchscale's head offsets, RoPE, MAGNETO sub-LayerNorms, untied head.
    "dilated_rope_block_subln": dict(vocab=29, d_model=24, layers=2, heads=3, mlp_ratio=2, positions="rope",
                                     kind="dilated", segments=[6, 12], dilations=[1, 3], head_offset="block",
                                     subln=True, tie=False, B=1, T=17),
    # Dense attention without positions.
    "dense_none": dict(vocab=23, d_model=16, layers=1, heads=2, mlp_ratio=4, positions="none",
                       kind="dense", segments=[], dilations=[], head_offset="mod",
                       subln=False, tie=True, B=2, T=9),
}
ROPE_BASE, XPOS_GAMMA, XPOS_SCALE_BASE, EPS = 10000.0, 0.4, 512.0, 1e-5


def head_offset(rule, h, H, r):
    return h % r if rule == "mod" else h // ((H + r - 1) // r)


def multiplicity(c, H, N):
    """M[h, i, k]: how many times key k is in query i's key multiset (causal)."""
    M = torch.zeros(H, N, N)
    for h in range(H):
        for i in range(N):
            for k in range(i + 1):
                if c["kind"] == "dense":
                    M[h, i, k] = 1
                    continue
                for w, r in zip(c["segments"], c["dilations"]):
                    w = min(w, N)
                    g = head_offset(c["head_offset"], h, H, r)
                    s = (i // w) * w
                    if k >= s and (i - s) % r == g and (k - s) % r == g:
                        M[h, i, k] += 1
    return M


def rotate(x, base):
    """x: (B, H, T, D); rotate pair (2j, 2j+1) at position t by t * base^(-2j/D)."""
    D, T = x.shape[-1], x.shape[-2]
    j = torch.arange(D // 2, dtype=torch.float64)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * base ** (-2 * j / D)  # (T, D/2)
    cos, sin = ang.cos(), ang.sin()
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


def attention(q, k, v, c, M):
    B, H, T, D = q.shape
    if c["positions"] in ("rope", "xpos"):
        q, k = rotate(q, ROPE_BASE), rotate(k, ROPE_BASE)
    if c["positions"] == "xpos":
        j = torch.arange(D) // 2
        zeta = (2 * j + XPOS_GAMMA * D) / ((1 + XPOS_GAMMA) * D)          # (D,)
        dist = (torch.arange(T)[:, None] - torch.arange(T)[None, :]).double()  # n - m
        decay = zeta[None, None, :] ** (dist[:, :, None] / XPOS_SCALE_BASE)   # (T, T, D)
        s = torch.einsum("bhnd,bhmd,nmd->bhnm", q, k, decay)
    else:
        s = torch.einsum("bhnd,bhmd->bhnm", q, k)
    s = s / math.sqrt(D)
    s = s.masked_fill(M[None] == 0, float("-inf"))
    p = torch.softmax(s, dim=-1) * M[None]          # exp(s) weighted by multiplicity ...
    p = p / p.sum(-1, keepdim=True)                  # ... renormalised: one multiset softmax
    return p @ v


def forward(params, ids, c, M):
    B, T = ids.shape
    C, H = c["d_model"], c["heads"]
    D = C // H
    P = params
    ln = lambda x, name: F.layer_norm(x, (x.shape[-1],), P[name + ".weight"], P[name + ".bias"], EPS)
    lin = lambda x, name: F.linear(x, P[name + ".weight"], P[name + ".bias"])
    x = P["tok_embeddings.weight"][ids]
    for l in range(c["layers"]):
        pre = f"layers.{l}."
        h = ln(x, pre + "attn_norm")
        heads = lambda y: y.view(B, T, H, D).transpose(1, 2)
        o = attention(heads(lin(h, pre + "attn.q_proj")), heads(lin(h, pre + "attn.k_proj")),
                      heads(lin(h, pre + "attn.v_proj")), c, M)
        o = o.transpose(1, 2).reshape(B, T, C)
        if c["subln"]:
            o = ln(o, pre + "attn.inner_norm")
        x = x + lin(o, pre + "attn.out_proj")
        h = F.gelu(lin(ln(x, pre + "mlp_norm"), pre + "mlp.fc1"))
        if c["subln"]:
            h = ln(h, pre + "mlp.inner_norm")
        x = x + lin(h, pre + "mlp.fc2")
    x = ln(x, "norm")
    head = P["tok_embeddings.weight"] if c["tie"] else P["output.weight"]
    return (x @ head.T).reshape(B * T, -1)


def parameter_shapes(c):
    C, V, F4 = c["d_model"], c["vocab"], c["mlp_ratio"] * c["d_model"]
    shapes = [("tok_embeddings.weight", (V, C))]
    for l in range(c["layers"]):
        pre = f"layers.{l}."
        shapes += [(pre + "attn_norm.weight", (C,)), (pre + "attn_norm.bias", (C,))]
        for p in ("q_proj", "k_proj", "v_proj"):
            shapes += [(pre + f"attn.{p}.weight", (C, C)), (pre + f"attn.{p}.bias", (C,))]
        if c["subln"]:
            shapes += [(pre + "attn.inner_norm.weight", (C,)), (pre + "attn.inner_norm.bias", (C,))]
        shapes += [(pre + "attn.out_proj.weight", (C, C)), (pre + "attn.out_proj.bias", (C,))]
        shapes += [(pre + "mlp_norm.weight", (C,)), (pre + "mlp_norm.bias", (C,))]
        shapes += [(pre + "mlp.fc1.weight", (F4, C)), (pre + "mlp.fc1.bias", (F4,))]
        if c["subln"]:
            shapes += [(pre + "mlp.inner_norm.weight", (F4,)), (pre + "mlp.inner_norm.bias", (F4,))]
        shapes += [(pre + "mlp.fc2.weight", (C, F4)), (pre + "mlp.fc2.bias", (C,))]
    shapes += [("norm.weight", (C,)), ("norm.bias", (C,))]
    if not c["tie"]:
        shapes += [("output.weight", (V, C))]
    return shapes


def make_case(name, c, seed):
    g = torch.Generator().manual_seed(seed)
    params = {}
    for pname, shape in parameter_shapes(c):
        base = 1.0 if pname.endswith("norm.weight") else 0.0
        w = base + 0.3 * torch.randn(shape, generator=g, dtype=torch.float32)   # large enough to carry signal
        params[pname] = w.double().requires_grad_(True)
    B, T, V = c["B"], c["T"], c["vocab"]
    ids = torch.randint(0, V, (B, T), generator=g)
    targets = torch.randint(0, V, (B, T), generator=g)
    targets[0, 3] = -1  # ignored position
    M = multiplicity(c, c["heads"], T)
    logits = forward(params, ids, c, M)
    loss = F.cross_entropy(logits, targets.reshape(-1), ignore_index=-1)
    loss.backward()
    flat = lambda t: [float(x) for x in t.detach().reshape(-1)]
    return {
        "generated_by": "tests/golden/make_golden.py (PyTorch %s, float64)" % torch.__version__,
        "config": {k: v for k, v in c.items() if k not in ("B", "T")},
        "B": B, "T": T,
        "ids": [int(x) for x in ids.reshape(-1)],
        "targets": [int(x) for x in targets.reshape(-1)],
        "params": {n: {"shape": list(p.shape), "data": flat(p.float())} for n, p in params.items()},
        "logits": flat(logits),
        "loss": float(loss),
        "grads": {n: flat(p.grad) for n, p in params.items()},
    }


def to_json(obj):
    """JSON with 9 significant digits per float: exact for float32 weights, and far below the
    test's tolerances for float64 results, at a third of the file size."""
    if isinstance(obj, float):
        return "%.9g" % obj
    if isinstance(obj, dict):
        return "{" + ",".join(json.dumps(k) + ":" + to_json(v) for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(to_json(v) for v in obj) + "]"
    return json.dumps(obj)


def main(out_dir):
    for i, (name, c) in enumerate(CASES.items()):
        with open(f"{out_dir}/{name}.json", "w") as f:
            f.write(to_json(make_case(name, c, 1000 + i)) + "\n")
        print("wrote", f"{out_dir}/{name}.json")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
