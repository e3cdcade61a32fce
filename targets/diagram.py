"""Diagrams for the documents: one graph, drawn twice, as Mermaid source and as inline SVG.

The Markdown carries Mermaid (GitHub renders it in a pull request); the HTML guide must show
everything without a script, so the same `Graph` is laid out here in Python and written as
SVG. Both drawings come from one value, so they cannot say different things. Every label is
escaped for its output: `mermaid_label` for Mermaid, XML escaping for SVG.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from charter.targets.escape import clean, mermaid_label

NODE_WRAP = 36     # characters per line in a box; longer lines wrap (both drawings)
EDGE_WRAP = 28     # characters per line of an arrow's label
FONT = 12          # px, labels
CHAR = 7.2         # px per character at FONT: a generous average for sans-serif text
LINE = 16          # px between label lines
PAD = 10           # px inside a box
GAP = 56           # px between boxes in a layer, and the least between layers


@dataclass(frozen=True)
class Node:
    """A box: an id (`n0`), its lines of text (the first is the title) and its layer."""

    id: str
    lines: tuple[str, ...]
    layer: int


@dataclass(frozen=True)
class Edge:
    """An arrow from one node to another, with label lines; ``dotted`` for a step back."""

    source: str
    target: str
    lines: tuple[str, ...]
    dotted: bool = False


@dataclass(frozen=True)
class Graph:
    """Nodes and edges; ``direction`` `BT` (a ladder, bottom up) or `LR` (left to right)."""

    direction: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    title: str
    key: str = "d"     # unique within a document: SVG ids (the arrow marker) are global


def wrap(lines: tuple[str, ...] | list[str], width: int) -> tuple[str, ...]:
    """Label lines wrapped at ``width`` characters (on spaces), so a drawing stays narrow
    enough for a printed page."""
    import textwrap

    return tuple(part for line in lines
                 for part in (textwrap.wrap(clean(line), width, break_long_words=False,
                                            break_on_hyphens=False) or [""]))


def node(ident: str, lines: tuple[str, ...] | list[str], layer: int) -> Node:
    """A `Node` with its lines wrapped."""
    return Node(ident, wrap(lines, NODE_WRAP), layer)


def edge(source: str, target: str, lines: tuple[str, ...] | list[str],
         dotted: bool = False) -> Edge:
    """An `Edge` with its label wrapped."""
    return Edge(source, target, wrap(lines, EDGE_WRAP), dotted)


# ---- Mermaid -------------------------------------------------------------------------------

def to_mermaid(graph: Graph) -> str:
    """The graph as a Mermaid flowchart; ids are generated, every label is escaped."""
    out = [f"flowchart {graph.direction}"]
    for node in graph.nodes:
        label = "<br/>".join(mermaid_label(line) for line in node.lines)
        out.append(f'    {node.id}["{label}"]')
    for edge in graph.edges:
        arrow = "-.->" if edge.dotted else "-->"
        text = "<br/>".join(mermaid_label(line) for line in edge.lines)
        label = f'|"{text}"|' if text else ""
        out.append(f"    {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(out)


# ---- SVG -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _text_width(text: str) -> float:
    return len(text) * CHAR


def _size(node: Node) -> tuple[float, float]:
    width = max(_text_width(line) for line in node.lines) + 2 * PAD
    return max(width, 96), len(node.lines) * LINE + 2 * PAD - 4


def _layers(graph: Graph) -> list[list[Node]]:
    count = max((n.layer for n in graph.nodes), default=-1) + 1
    return [[n for n in graph.nodes if n.layer == i] for i in range(count)]


def layout(graph: Graph) -> tuple[dict[str, _Box], float, float]:
    """Boxes for every node (layers along the direction, nodes side by side within a layer)
    and the drawing's width and height."""
    return _layout_vertical(graph) if graph.direction in ("BT", "TB") else _layout_lr(graph)


def _label_room(graph: Graph) -> float:
    return max((_text_width(line) for e in graph.edges for line in e.lines), default=0)


def _layout_vertical(graph: Graph) -> tuple[dict[str, _Box], float, float]:
    layers = _layers(graph)
    sizes = {n.id: _size(n) for n in graph.nodes}
    widest = max((sum(sizes[n.id][0] for n in layer) + GAP * (len(layer) - 1)
                  for layer in layers), default=0)
    side = _label_room(graph) + 24          # edge labels sit beside the arrows
    width = widest + 2 * side
    boxes, y = {}, 8.0
    order = layers[::-1] if graph.direction == "BT" else layers
    for layer in order:
        tall = max(sizes[n.id][1] for n in layer)
        row = sum(sizes[n.id][0] for n in layer) + GAP * (len(layer) - 1)
        x = (width - row) / 2
        for n in layer:
            w, h = sizes[n.id]
            boxes[n.id] = _Box(x, y, w, h)
            x += w + GAP
        y += tall + GAP + 8
    return boxes, width, y - GAP


def _layout_lr(graph: Graph) -> tuple[dict[str, _Box], float, float]:
    layers = _layers(graph)
    sizes = {n.id: _size(n) for n in graph.nodes}
    step = max(GAP, _label_room(graph) + 32)
    boxes, x = {}, 8.0
    tallest = max((sum(sizes[n.id][1] for n in layer) + GAP * (len(layer) - 1)
                   for layer in layers), default=0) + LINE * 2
    for layer in layers:
        wide = max(sizes[n.id][0] for n in layer)
        col = sum(sizes[n.id][1] for n in layer) + GAP * (len(layer) - 1)
        y = (tallest - col) / 2 + LINE
        for n in layer:
            w, h = sizes[n.id]
            boxes[n.id] = _Box(x + (wide - w) / 2, y, w, h)
            y += h + GAP
        x += wide + step
    return boxes, x - step + 8, tallest + LINE


def to_svg(graph: Graph) -> Markup:
    """The graph as an inline SVG figure (no script, no external reference)."""
    boxes, width, height = layout(graph)
    pairs = {(e.source, e.target) for e in graph.edges}
    parts = [_svg_open(width, height, graph.title, graph.key)]
    for edge in graph.edges:
        back = (edge.target, edge.source) in pairs
        parts.append(_edge(edge, boxes[edge.source], boxes[edge.target], graph, back))
    parts += [_node(node, boxes[node.id]) for node in graph.nodes]
    parts.append("</svg>")
    return Markup("\n".join(parts))


def _svg_open(width: float, height: float, title: str, key: str) -> str:
    # inline in HTML5: the parser puts <svg> in the SVG namespace, no xmlns needed
    return (f'<svg role="img" class="diagram"'
            f' viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}"'
            f' font-family="Helvetica, Arial, sans-serif" font-size="{FONT}">'
            f"<title>{escape(clean(title))}</title>"
            f'<defs><marker id="{key}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7"'
            ' markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"'
            ' fill="#333"/></marker></defs>')


def _node(node: Node, box: _Box) -> str:
    lines = []
    for i, line in enumerate(node.lines):
        weight = ' font-weight="bold"' if i == 0 else ""
        y = box.y + PAD + FONT + i * LINE - 2
        lines.append(f'<text x="{box.cx:.1f}" y="{y:.1f}" text-anchor="middle"{weight}>'
                     f"{escape(clean(line))}</text>")
    return (f'<g class="node"><rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}"'
            f' height="{box.h:.1f}" rx="6" fill="#f4f6fa" stroke="#445"/>' + "".join(lines)
            + "</g>")


def _edge(edge: Edge, a: _Box, b: _Box, graph: Graph, back: bool) -> str:
    """A straight arrow between facing sides; a pair of opposite arrows is drawn apart."""
    direction = graph.direction
    shift = (14 if back else 0) * (-1 if edge.dotted else 1)
    if direction in ("BT", "TB"):
        x1 = x2 = (a.cx + b.cx) / 2 - shift
        y1, y2 = (a.y, b.y + b.h) if a.cy > b.cy else (a.y + a.h, b.y)
    else:
        y1 = y2 = (a.cy + b.cy) / 2 - shift
        x1, x2 = (a.x + a.w, b.x) if a.cx < b.cx else (a.x, b.x + b.w)
    dash = ' stroke-dasharray="5 4"' if edge.dotted else ""
    line = (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#333"'
            f' stroke-width="1.4"{dash} marker-end="url(#{graph.key}-arrow)"/>')
    return f'<g class="edge">{line}{_edge_label(edge, x1, y1, x2, y2, direction)}</g>'


def _edge_label(edge: Edge, x1: float, y1: float, x2: float, y2: float,
                direction: str) -> str:
    if not edge.lines:
        return ""
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    first = my + 4 - (len(edge.lines) - 1) * LINE / 2
    if direction in ("BT", "TB"):  # beside the arrow: left of an up-arrow, right of a step back
        anchor, x = ("start", mx + 8) if edge.dotted else ("end", mx - 8)
    else:                          # above the arrow
        anchor, x, first = "middle", mx, my - 6 - (len(edge.lines) - 1) * LINE
    style = ' font-style="italic"' if edge.dotted else ""
    return "".join(f'<text x="{x:.1f}" y="{first + i * LINE:.1f}" text-anchor="{anchor}"'
                   f' fill="#222"{style}>{escape(clean(line))}</text>'
                   for i, line in enumerate(edge.lines))
