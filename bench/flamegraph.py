#!/usr/bin/env python3
"""A flame graph of `perf script` output, written for bench/getasset
(Debian packages no flame graph tool).

  perf script -i perf.data | flamegraph.py [--title T] [--folded F] >out.svg

Reads the samples `perf script` prints (a header line, then one frame per
line, leaf first, then a blank line), folds them into "root;...;leaf COUNT"
stacks (written to F when --folded is given) and draws them as an SVG: one
box per frame, as wide as the share of samples it was on the stack for,
callers below callees. Hover a box for its name and share. Frames perf
could not name are shown as their library ("[libmicrohttpd.so.12]").
"""
import argparse
import html
import re
import sys
import zlib

FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")


def frame_name(sym, dso):
    lib = dso.rsplit("/", 1)[-1]
    if sym.startswith("[unknown]") or not sym:
        return f"[{lib}]"
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    return sym + ("_[k]" if dso == "[kernel.kallsyms]" else "")


def fold(lines):
    """{stack tuple (root first): samples}."""
    stacks = {}
    frames = None
    for line in lines:
        if not line.strip():
            if frames is not None and frames:
                key = tuple(reversed(frames))
                stacks[key] = stacks.get(key, 0) + 1
            frames = None
            continue
        if line[0] not in " \t":
            frames = []  # a sample's header: "comm pid time: period event:"
            continue
        m = FRAME.match(line)
        if m is None or frames is None:
            continue
        name = frame_name(m.group(1), m.group(2))
        # perf repeats a frame for a call site it also shows inlined
        if not frames or frames[-1] != name:
            frames.append(name)
    if frames:
        key = tuple(reversed(frames))
        stacks[key] = stacks.get(key, 0) + 1
    return stacks


def tree(stacks):
    """Nested {name: [count, children]} from the folded stacks."""
    root = [0, {}]
    for stack, n in stacks.items():
        root[0] += n
        node = root
        for name in stack:
            child = node[1].setdefault(name, [0, {}])
            child[0] += n
            node = child
    return root


def colour(name):
    h = zlib.crc32(name.encode())
    if name.endswith("_[k]"):  # kernel: orange
        return f"rgb({200 + h % 55},{110 + h % 60},{30 + h % 30})"
    if name.startswith("["):  # unnamed library code: grey
        return f"rgb({170 + h % 30},{170 + h % 30},{170 + h % 30})"
    return f"rgb({220 + h % 35},{80 + h % 120},{40 + h % 40})"  # user: red-yellow


def svg(root, title, width=1200, row=16):
    total = root[0] or 1
    boxes = []

    def walk(node, x, depth):
        for name, child in sorted(node[1].items()):
            w = child[0] / total * (width - 20)
            if w >= 0.1:
                boxes.append((x, depth, w, name, child[0]))
                walk(child, x, depth + 1)
            x += w

    walk(root, 10.0, 0)
    depth = 1 + max((b[1] for b in boxes), default=0)
    height = depth * row + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">',
        f'<rect width="100%" height="100%" fill="#f8f8f0"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15">{html.escape(title)}</text>',
        f'<text x="10" y="40" fill="#555">{total} samples; width = share of samples on the stack; '
        f"callers below callees; hover a box for its name</text>",
    ]
    for x, d, w, name, n in boxes:
        y = height - 10 - (d + 1) * row
        pct = 100.0 * n / total
        label = name if len(name) * 6.6 < w - 4 else name[: max(0, int((w - 4) / 6.6) - 2)] + ".."
        out.append(
            f'<g><title>{html.escape(name)} ({n} samples, {pct:.2f}%)</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="{colour(name)}" rx="2"/>'
        )
        if w > 20 and len(label) > 2:
            out.append(f'<text x="{x + 3:.1f}" y="{y + row - 4}">{html.escape(label)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--title", default="Flame graph")
    ap.add_argument("--folded", help="also write the folded stacks here")
    a = ap.parse_args()
    stacks = fold(sys.stdin)
    if not stacks:
        sys.exit("flamegraph.py: no samples on stdin (is this `perf script` output?)")
    if a.folded:
        with open(a.folded, "w") as f:
            for stack, n in sorted(stacks.items(), key=lambda kv: -kv[1]):
                f.write(";".join(stack) + f" {n}\n")
    sys.stdout.write(svg(tree(stacks), a.title))


if __name__ == "__main__":
    main()
