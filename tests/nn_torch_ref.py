#!/usr/bin/python3
"""nn_torch_ref.py -- reference outputs from PyTorch for nnref_test.c.

    /usr/bin/python3 tests/nn_torch_ref.py DIR

Writes raw little-endian float32 files into DIR: the inputs and parameters
of each layer (random, seeded), the loss gradient it receives (named *_dy),
and PyTorch's forward outputs and backward gradients. The C side loads the
same inputs, runs the emb layer, and compares. Shapes are fixed here and in
nnref_test.c. Exits 77 (skip) when torch is not installed.
"""
import os
import sys

try:
    import torch
except ImportError:
    print("SKIP: python3-torch is not installed (apt-get install python3-torch)")
    sys.exit(77)

out = sys.argv[1]
torch.manual_seed(7)
torch.set_default_dtype(torch.float64)  # the reference in double


def save(name, t):
    t.detach().to(torch.float32).contiguous().numpy().tofile(os.path.join(out, name + ".f32"))


def rnd(*shape, scale=1.0):
    # float32-representable values, so both sides start from the same numbers
    return ((torch.rand(*shape) * 2 - 1) * scale).float().double()


# linear: B=4, in=6, out=5
x = rnd(4, 6).requires_grad_()
lin = torch.nn.Linear(6, 5)
with torch.no_grad():
    lin.weight.copy_(rnd(5, 6)), lin.bias.copy_(rnd(5))
y = lin(x)
dy = rnd(4, 5)
y.backward(dy)
for n, t in [("lin_x", x), ("lin_w", lin.weight), ("lin_b", lin.bias), ("lin_dy", dy), ("lin_y", y),
             ("lin_dx", x.grad), ("lin_dw", lin.weight.grad), ("lin_db", lin.bias.grad)]:
    save(n, t)

# layer norm: B=3, C=7
x = rnd(3, 7, scale=2).requires_grad_()
ln = torch.nn.LayerNorm(7, eps=1e-5)
with torch.no_grad():
    ln.weight.copy_(rnd(7)), ln.bias.copy_(rnd(7))
y = ln(x)
dy = rnd(3, 7)
y.backward(dy)
for n, t in [("ln_x", x), ("ln_w", ln.weight), ("ln_b", ln.bias), ("ln_dy", dy), ("ln_y", y), ("ln_dx", x.grad),
             ("ln_dw", ln.weight.grad), ("ln_db", ln.bias.grad)]:
    save(n, t)

# LSTM and GRU: T=5, B=3, in=4, H=6, with initial states
for kind in ("lstm", "gru"):
    layer = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(4, 6)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(rnd(*p.shape, scale=0.5))
    x = rnd(5, 3, 4).requires_grad_()
    h0 = rnd(1, 3, 6, scale=0.5).requires_grad_()
    c0 = rnd(1, 3, 6, scale=0.5).requires_grad_()
    y, _ = layer(x, (h0, c0)) if kind == "lstm" else layer(x, h0)
    dy = rnd(5, 3, 6)
    y.backward(dy)
    save(kind + "_x", x), save(kind + "_h0", h0), save(kind + "_dy", dy), save(kind + "_y", y)
    save(kind + "_dx", x.grad), save(kind + "_dh0", h0.grad)
    if kind == "lstm":
        save(kind + "_c0", c0), save(kind + "_dc0", c0.grad)
    for pn in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        save(kind + "_" + pn, getattr(layer, pn)), save(kind + "_d" + pn, getattr(layer, pn).grad)

# multi-head self-attention, forward: B=2, T=5, C=8, 2 heads, key padding
mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
with torch.no_grad():
    for p in mha.parameters():
        p.copy_(rnd(*p.shape, scale=0.5))
x = rnd(2, 5, 8)
pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
y, _ = mha(x, x, x, key_padding_mask=pad, need_weights=False)
save("mha_x", x), save("mha_wqkv", mha.in_proj_weight), save("mha_bqkv", mha.in_proj_bias)
save("mha_wo", mha.out_proj.weight), save("mha_bo", mha.out_proj.bias), save("mha_y", y)

# losses: value and gradient
F = torch.nn.functional
z = rnd(6, 5, scale=2).requires_grad_()
tgt = torch.tensor([2, 0, 4, 1, 3, 3])
loss = F.cross_entropy(z, tgt)
loss.backward()
save("ce_z", z), save("ce_loss", loss.reshape(1)), save("ce_dz", z.grad)

z = rnd(8, scale=3).requires_grad_()
lab = torch.tensor([1, 0, 1, 1, 0, 0.5, 0, 1]).double()
loss = F.binary_cross_entropy_with_logits(z, lab)
loss.backward()
save("bce_z", z), save("bce_label", lab), save("bce_loss", loss.reshape(1)), save("bce_dz", z.grad)

pos, neg = rnd(6, scale=2).requires_grad_(), rnd(6, scale=2).requires_grad_()
loss = -F.logsigmoid(pos - neg).mean()
loss.backward()
save("bpr_pos", pos), save("bpr_neg", neg), save("bpr_loss", loss.reshape(1))
save("bpr_dpos", pos.grad), save("bpr_dneg", neg.grad)

pos, neg = rnd(6, scale=2).requires_grad_(), rnd(6, scale=2).requires_grad_()
loss = F.margin_ranking_loss(pos, neg, torch.ones(6), margin=0.5)
loss.backward()
save("mr_pos", pos), save("mr_neg", neg), save("mr_loss", loss.reshape(1))
save("mr_dpos", pos.grad), save("mr_dneg", neg.grad)

y, t = rnd(9).requires_grad_(), rnd(9)
loss = F.mse_loss(y, t)
loss.backward()
save("mse_y", y), save("mse_t", t), save("mse_loss", loss.reshape(1)), save("mse_dy", y.grad)

# VSE++ max of hinges (the paper's ContrastiveLoss with max_violation)
s = rnd(5, 5).requires_grad_()
d = s.diag().view(5, 1)
cost_c = (0.2 + s - d.expand_as(s)).clamp(min=0)
cost_i = (0.2 + s - d.t().expand_as(s)).clamp(min=0)
eye = torch.eye(5) > 0.5
cost_c = cost_c.masked_fill(eye, 0)
cost_i = cost_i.masked_fill(eye, 0)
loss = cost_c.max(1)[0].sum() + cost_i.max(0)[0].sum()
loss.backward()
save("vse_s", s), save("vse_loss", loss.reshape(1)), save("vse_ds", s.grad)
print("ok")
