/** Small text helpers shared by the CLI formatters: FRR's Up/Down durations and aligned columns. */

/** FRR's peer uptime form: "never", "00:01:02" under a day, "1d02h03m" under a week, "01w2d03h" beyond. */
export function upDown(seconds: number | null): string {
  if (seconds === null) return 'never';
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d === 0) return `${two(h)}:${two(m)}:${two(s % 60)}`;
  if (d < 7) return `${d}d${two(h)}h${two(m)}m`;
  return `${two(Math.floor(d / 7))}w${d % 7}d${two(h)}h`;
}

export type Align = 'left' | 'right';

/** Rows as columns padded to the widest cell (header included), separated by one space; no trailing blanks. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join(' ')
        .trimEnd(),
    )
    .join('\n');
}

/** ISO time without milliseconds, for timestamps in the CLI. */
export const isoTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
