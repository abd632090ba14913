#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ (committed; rerun after a format change).

Each seed is a small valid input, or one a step away from a known refusal, so the fuzzer
starts from the parsers' interesting paths instead of from random bytes."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# config_yaml: the shipped configs and a few edge cases.
for name in sorted(os.listdir(os.path.join(ROOT, "configs"))):
    with open(os.path.join(ROOT, "configs", name), "rb") as f:
        put("config_yaml", name, f.read())
put("config_yaml", "flow.yaml", "model: {d_model: 32, heads: 2}\nattention: {segments: [8, 16], dilations: [1, 2]}\n")
put("config_yaml", "quoted.yaml", 'model:\n  layers: "4"\n')
put("config_yaml", "tagged.yaml", "model:\n  layers: !!str 4\n")
put("config_yaml", "two_docs.yaml", "model:\n  layers: 2\n---\ntrain:\n  steps: 3\n")
put("config_yaml", "anchors.yaml", "model: &m {layers: 2}\ntrain: {steps: 5, warmup_steps: 1}\n")
put("config_yaml", "lists.yaml", "data:\n  train: [a, b]\nattention:\n  segments:\n    - 64\n    - 128\n  dilations: [1, 2]\n")

# set_override: first byte picks a schema key (or '=' for a whole assignment).
for i, value in enumerate(["6", "[64,128]", "1,2", "0.001", "true", "dense", "", "18446744073709551616", "1e3"]):
    put("set_override", f"key{i}", bytes([i * 7 % 256]) + value.encode())
put("set_override", "whole", b"=attention.segments=[64, 128]")
put("set_override", "whole2", b"=train.seed=4294967295")


# safetensors: valid files (F32 and BF16, metadata) and near misses.
def safetensors(tensors, metadata=None, pad=True):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    h = json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


put("safetensors", "f32", safetensors([("w", "F32", [2, 3], struct.pack("<6f", *range(6)))]))
put("safetensors", "bf16_meta", safetensors([("a", "BF16", [4], b"\x80\x3f" * 4), ("b", "F32", [], b"\0\0\x80\x3f")],
                                            {"format": "pt"}))
put("safetensors", "empty", safetensors([]))
put("safetensors", "zero_dim", safetensors([("z", "F32", [0, 5], b"")]))
put("safetensors", "overlap", safetensors([("a", "F32", [1], b"\0" * 4)])[:-2])

# checkpoint_json: a manifest and a state.json.
sha = "0" * 64
put("checkpoint_json", "manifest.json", json.dumps({
    "format": "longnet-checkpoint", "format_version": 1, "step": 20,
    "files": {n: {"bytes": 4, "sha256": sha} for n in
              ["model.safetensors", "optimizer.safetensors", "state.json", "tokenizer.model"]}}, indent=2))
put("checkpoint_json", "manifest_escape.json", json.dumps({
    "format": "longnet-checkpoint", "format_version": 1, "step": 1,
    "files": {"../state.json": {"bytes": 1, "sha256": sha}}}))
put("checkpoint_json", "state.json", json.dumps({
    "format": "longnet-train-state", "step": 20, "tokenizer_sha256": sha,
    "config": "model:\n  layers: 2\ntrain:\n  steps: 20\n  warmup_steps: 2\n"}))
put("checkpoint_json", "deep.json", "[" * 64 + "]" * 64)
put("checkpoint_json", "numbers.json", '{"step": 18446744073709551615, "x": -1.5e300, "s": "\\u00e9\\ud83d\\ude42"}')


# token_file: u32 token count, u32 vocab size, tokens, index (see fuzz_token_file.cpp).
def token_file(tokens, vocab, docs, sources):
    body = struct.pack("<II", len(tokens), vocab) + struct.pack(f"<{len(tokens)}I", *tokens)
    index = struct.pack("<IQ", 0, len(sources))
    for path, first, count in sources:
        p = path.encode()
        index += struct.pack("<I", len(p)) + p + struct.pack("<Qq", 100, 1) + struct.pack("<I", 64) + b"a" * 64
        index += struct.pack("<QQ", first, count)
    index += struct.pack("<Q", len(docs) - 1) + struct.pack(f"<{len(docs)}Q", *docs)
    return body + index


put("token_file", "one_doc", token_file([5, 6, 2], 10, [0, 3], [("/c/a.txt", 0, 1)]))
put("token_file", "two_docs", token_file([5, 2, 7, 8, 2], 10, [0, 2, 5], [("/c/a.txt", 0, 1), ("/c/b.txt", 1, 1)]))
put("token_file", "out_of_vocab", token_file([5, 60, 2], 10, [0, 3], [("/c/a.txt", 0, 1)]))

# utf8_stream: first byte = cut pattern, then text.
for i, text in enumerate(["plain ascii text\nwith lines\n", "naïve 🙂 жук €\n" * 3,
                          "long" * 40 + " word " + "é" * 30, "bad \xff\xfe bytes", "cut \xe2\x82"]):
    put("utf8_stream", f"text{i}", bytes([i * 3]) + text.encode("utf-8", "surrogateescape")
        if "\xff" not in text and "\xe2\x82" not in text else bytes([i * 3]) + text.encode("latin-1"))
