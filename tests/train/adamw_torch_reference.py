# Produces the torch.optim.AdamW numbers hard-coded in tests/train/test_adamw.cpp
# ("AdamW matches torch.optim.AdamW"). Run: /usr/bin/python3 tests/train/adamw_torch_reference.py
# Produced with Debian python3-torch 1.13.1 (torch.__version__ 1.13.0a0), CPU, fp32.
import torch
torch.set_default_dtype(torch.float32)
a = torch.nn.Parameter(torch.tensor([1.0, -0.5, 0.25, 2.0, -3.0]))
b = torch.nn.Parameter(torch.tensor([0.75, -1.25, 0.0]))
opt = torch.optim.AdamW([{"params": [a], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
                        lr=1e-2, betas=(0.9, 0.95), eps=1e-8, foreach=False)
grads_a = [[0.5, -0.25, 1.0, 0.0, -2.0], [0.1, 0.3, -0.7, 0.2, -1.5], [-0.4, 0.05, 0.9, -0.3, 0.6]]
grads_b = [[0.2, -0.1, 0.05], [0.0, 0.4, -0.3], [1.0, -1.0, 0.5]]
for lr, ga, gb in zip([1e-2, 5e-3, 2e-2], grads_a, grads_b):
    for g in opt.param_groups: g["lr"] = lr
    a.grad = torch.tensor(ga); b.grad = torch.tensor(gb)
    opt.step()
print("a", ", ".join("%.9gf" % x for x in a.detach().tolist()))
print("b", ", ".join("%.9gf" % x for x in b.detach().tolist()))
print("exp_avg_sq a", ", ".join("%.9gf" % x for x in opt.state[a]["exp_avg_sq"].tolist()))
print(torch.__version__)
