"""A small line chart written as SVG by hand: one panel per program, CPU
cores in use over time, so the chart needs no plotting package and stays a
few kilobytes in the repository."""
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def chart(path, title, panels, ymax, xlabel="seconds since start", ylabel="CPU cores busy"):
    """panels: [(panel title, [(line name, [(x, y), ...]), ...])]"""
    width, panel_h, left, right, top = 760, 220, 60, 190, 40
    height = top + len(panels) * (panel_h + 50) + 10
    xmax = max((x for _, lines in panels for _, pts in lines for x, _ in pts), default=1.0) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>']
    plot_w = width - left - right
    for p, (ptitle, lines) in enumerate(panels):
        y0 = top + p * (panel_h + 50) + 20
        out.append(f'<text x="{left}" y="{y0 - 6}" font-size="13">{escape(ptitle)}</text>')
        out.append(f'<rect x="{left}" y="{y0}" width="{plot_w}" height="{panel_h}" fill="none" stroke="#888"/>')
        for k in range(int(ymax) + 1):
            y = y0 + panel_h - k / ymax * panel_h
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{k}</text>')
        step = max(1, round(xmax / 10))
        for s in range(0, int(xmax) + 1, step):
            x = left + s / xmax * plot_w
            out.append(f'<text x="{x:.1f}" y="{y0 + panel_h + 16}" text-anchor="middle">{s}</text>')
        out.append(f'<text x="{left + plot_w / 2}" y="{y0 + panel_h + 32}" text-anchor="middle">'
                   f'{escape(xlabel)}</text>')
        out.append(f'<text transform="translate(16,{y0 + panel_h / 2}) rotate(-90)" text-anchor="middle">'
                   f'{escape(ylabel)}</text>')
        for i, (name, pts) in enumerate(lines):
            color = COLORS[i % len(COLORS)]
            coords = " ".join(f"{left + x / xmax * plot_w:.1f},{y0 + panel_h - min(y, ymax) / ymax * panel_h:.1f}"
                              for x, y in pts)
            out.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="1.5"/>')
            ly = y0 + 14 + i * 16
            out.append(f'<line x1="{left + plot_w + 10}" y1="{ly - 4}" x2="{left + plot_w + 28}" y2="{ly - 4}" '
                       f'stroke="{color}" stroke-width="2"/>')
            out.append(f'<text x="{left + plot_w + 32}" y="{ly}">{escape(name)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
