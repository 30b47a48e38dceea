/** What `wg tui` and `wg serve` share: the feed's settings from the config, and the port flag. */
import { setFlagsFromString } from 'node:v8';
import { usageError } from '../core/errors.js';
import type { SourceOptions } from '../dashboard/source.js';
import type { CliContext } from './context.js';

/** An agent silent this long is listed as hung. */
export const HUNG_AFTER_MS = 10 * 60_000;
/** How often the dashboards look for changes (one stat of graph.jsonl and registry.json when idle). */
export const POLL_MS = 100;

export async function dashboardSourceOptions(ctx: CliContext, o: { includeSystem: boolean }): Promise<SourceOptions> {
  const settings = await ctx.settings();
  return { intervalMs: POLL_MS, heartbeatTimeoutMs: settings.dispatcher.heartbeatTimeoutMs, hungAfterMs: HUNG_AFTER_MS, includeSystem: o.includeSystem };
}

export function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw usageError(`invalid --port '${text}'`, 'a port is 0–65535 (0: any free port)');
  return Number(text);
}

/**
 * The dashboards are long-running processes that hold a 10k-task graph and redraw on every
 * change: V8's default heap growth (up to 4× the live heap after a full GC) keeps tens of MiB of
 * garbage room. A 1.1 growing factor and the memory reducer starting after 1 s idle instead of
 * 8 s keep the heap near what is live. `--optimize-for-size` saved a few MiB more but doubled the
 * redraw time (key → frame ~60 → ~115 ms), so it is not used.
 *
 * No optimizing compiler (`--max-opt=2`: Ignition and Sparkplug; Maglev is off in Node 20's V8,
 * so nothing above Sparkplug): TurboFan's compile jobs run on V8's worker threads, whose malloc
 * arenas then keep their zone memory — ~10 MiB of `wg tui`'s RSS at 10k tasks (smaps: four
 * arenas of 3–8 MiB), and its code. A dashboard's per-change work is small (the list is lazy, the
 * snapshot a few passes over the rows): measured interleaved at 10k tasks, `wg tui` peak RSS
 * 114–116 → 94–98 MiB and `wg serve` 91–94 → 86 MiB, with update and key medians within the
 * run-to-run spread of the busy machine (docs/benchmarks.md). TurboFan on the main thread
 * (`--no-concurrent-recompilation`) or fewer GC threads saved nothing. `--liftoff-only`: the
 * layout engine's WebAssembly (Yoga, under ink) stays in its baseline tier (~2 MiB).
 *
 * The young generation stays at the size it has when this runs (`--semi-space-growth-factor=1`:
 * V8 reads it at each growth decision) instead of growing to the shebang's 2 × 4 MiB: a
 * dashboard's per-frame garbage is short-lived, and the scavenges stay cheap. Measured
 * interleaved: ~4 MiB less peak RSS for both dashboards, the same update and key medians.
 * (`--max-semi-space-size` itself is read only at start-up, for every command.)
 *
 * V8 reads these at each heap-sizing or tier-up decision, so setting them at run time works (Node
 * does not freeze V8 flags after start-up); the CLI's short commands never set them. Called
 * before the graph is loaded and before ink (and Yoga) load.
 */
export function dashboardHeap(): void {
  setFlagsFromString('--heap-growing-percent=10');
  setFlagsFromString('--gc-memory-reducer-start-delay-ms=1000');
  setFlagsFromString('--max-opt=2');
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--semi-space-growth-factor=1');
}
