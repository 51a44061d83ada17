/** Repeated measurements: median and spread (min–max), so the noise is visible. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: readonly number[];
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN, runs: values };
}

export function formatSpread(s: Spread, unit: string, scale = 1, digits = 0): string {
  const f = (x: number): string => (x / scale).toFixed(digits);
  return `median ${f(s.median)} ${unit} (min ${f(s.min)}, max ${f(s.max)}, ${s.runs.length} runs)`;
}
