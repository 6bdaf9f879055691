/**
 * A JSON report without what legitimately differs between two runs of the
 * same inputs (two unsharded runs differ in exactly these too): wall times
 * (durations, rates, start times, job counts), run ids (database and
 * template names), and in counterexamples the identities and clock a world
 * is given at run time (UUIDs and their short forms, generated integer keys
 * from a process-wide counter, now-relative timestamps, JWT expiry). Those
 * become placeholders numbered in order of first appearance, so the
 * structure, every verdict and every other value still have to match.
 */
const runDetailKeys = new Set(['durationMs', 'cloneMs', 'casesPerSecond', 'startedAt', 'jobs', 'database', 'template', 'exp']);

function placeholder(map: Map<string, string>, prefix: string): (token: string) => string {
  return (token) => {
    const key = `${prefix}:${token}`;
    if (!map.has(key)) map.set(key, `<${prefix}${map.size}>`);
    return map.get(key)!;
  };
}

/** `keys`: the counterexample's own numbering of generated integer keys (the counter is per process, so only the order within one counterexample means anything). */
function neutralise(text: string, map: Map<string, string>, counterexample: boolean, keys = new Map<string, string>()): string {
  let out = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, placeholder(map, 'id')).replace(/\b[0-9a-f]{8}\b/g, placeholder(map, 'short'));
  if (counterexample) {
    out = out
      .replace(/\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00|Z)?/g, '<time>')
      .replace(/\\"exp\\":\d+/g, '\\"exp\\":<exp>')
      .replace(/\b\d{4,}\b/g, placeholder(keys, 'n'));
  }
  return out;
}

function strip(value: unknown, map: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((entry) => strip(entry, map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => !runDetailKeys.has(key))
        .map(([key, entry]) => [key, key === 'counterexample' ? JSON.parse(neutralise(JSON.stringify(strip(entry, map)), map, true)) : strip(entry, map)]),
    );
  }
  return typeof value === 'string' ? neutralise(value, map, false) : value;
}

export function withoutRunDetails(report: unknown): unknown {
  return strip(report, new Map());
}
