/** A Markdown table, for the reports the benchmarks and the soak write; `head` is the column titles separated by "|". */
export function table(head: string, rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(head.split("|")), line(head.split("|").map(() => "---")), ...rows.map(line)].join("\n");
}
