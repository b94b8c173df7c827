/**
 * The few statistics the benchmarks report: medians over rounds, and number formats that read
 * the same in results.md and the charts.
 */

/** The median (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The smallest and largest values: shown next to a median so that noise is visible. */
export function spread(values: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** A number with a fixed count of significant digits and thousands separators. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}

/** `1.23×`. */
export function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** Bytes as `12,345 B` (exact: sizes are compared to the byte). */
export function bytes(value: number): string {
  return `${Math.round(value).toLocaleString("en-US")} B`;
}
