/**
 * Horizontal bar charts as plain SVG, drawn from the results: no chart library, readable on
 * GitHub in light and dark themes (fixed light background), our bar highlighted.
 */

export interface Bar {
  label: string;
  value: number;
  /** Printed at the bar's end, e.g. "4,795 B". */
  text: string;
  ours?: boolean;
}

export interface Panel {
  title: string;
  bars: Bar[];
  /** Logarithmic axis, for values that differ by orders of magnitude (1 vs 10,000 requests). */
  log?: boolean;
}

const WIDTH = 760;
const LABEL_WIDTH = 300;
const VALUE_WIDTH = 110;
const BAR_HEIGHT = 22;
const GAP = 8;
const TITLE_HEIGHT = 30;
const PANEL_GAP = 18;

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function panelHeight(panel: Panel): number {
  return TITLE_HEIGHT + panel.bars.length * (BAR_HEIGHT + GAP);
}

function drawPanel(panel: Panel, top: number): string {
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
  const max = Math.max(...panel.bars.map((bar) => bar.value));
  // On a log axis the shortest possible bar (value 1) still shows as a sliver.
  const length = (value: number) =>
    panel.log ? (Math.log10(Math.max(value, 1)) / Math.log10(Math.max(max, 10))) * span + 4 : (value / max) * span;
  const parts = [`<text x="10" y="${top + 20}" class="title">${escape(panel.title)}</text>`];
  panel.bars.forEach((bar, index) => {
    const y = top + TITLE_HEIGHT + index * (BAR_HEIGHT + GAP);
    const width = Math.max(2, length(bar.value));
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" class="label${bar.ours ? " ours" : ""}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" rx="3" class="${bar.ours ? "bar-ours" : "bar"}"/>`,
      `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 15}" class="value">${escape(bar.text)}</text>`,
    );
  });
  return parts.join("");
}

/** One SVG holding the panels one above the other, with a caption line at the bottom. */
export function barChart(panels: Panel[], caption: string): string {
  let top = 6;
  const drawn: string[] = [];
  for (const panel of panels) {
    drawn.push(drawPanel(panel, top));
    top += panelHeight(panel) + PANEL_GAP;
  }
  const height = top + 12;
  const style = [
    ".title { font-weight: 600; font-size: 14px; fill: #1f2328; }",
    ".label { fill: #1f2328; } .label.ours { font-weight: 600; } .value { fill: #1f2328; }",
    ".caption { fill: #59636e; font-size: 11px; } .bar { fill: #8c959f; } .bar-ours { fill: #1f883d; }",
  ].join(" ");
  // One line: a generated image, not something to read or diff line by line.
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="13">` +
    `<style>${style}</style><rect width="100%" height="100%" fill="#ffffff"/>${drawn.join("")}` +
    `<text x="10" y="${height - 8}" class="caption">${escape(caption)}</text></svg>\n`
  );
}
