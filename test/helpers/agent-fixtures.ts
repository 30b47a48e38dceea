/**
 * Real captured agent output (test/fixtures/agent-output/<cli>/<name>.output): what the real CLI
 * printed in a test/real-agents scenario, stdout and stderr interleaved as in the service's
 * output.log, with `manifest.json` recording the CLI version, the scenario and the exit code.
 * Parser unit tests and the service tests' fakes replay them, so the fakes speak the real
 * formats.
 *
 * `WG_CAPTURE_FIXTURES=1 npx vitest run test/real-agents` rewrites them from live runs;
 * otherwise each live run is checked against its fixture (same report shape, same kinds of
 * events), so a CLI upgrade that changes the formats fails here instead of silently leaving
 * stale fixtures behind.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { readAgentOutput, type AgentReport } from '../../src/agents/executors/stream.js';
import type { AgentRun, CliName } from './agent-cli.js';
import { CLI_VERSIONS } from './agent-cli.js';

export const FIXTURE_DIR = resolve(__dirname, '../fixtures/agent-output');
const CAPTURE = process.env.WG_CAPTURE_FIXTURES === '1';

export interface FixtureMeta {
  cli: CliName;
  version: string;
  scenario: string;
  exit_code: number | null;
  /** Environment the run had beyond the recipe (e.g. CLAUDE_CODE_MAX_RETRIES=1). */
  env?: Record<string, string>;
}

export function fixturePath(cli: CliName, name: string): string {
  return join(FIXTURE_DIR, cli, `${name}.output`);
}

export function readFixture(cli: CliName, name: string): string {
  return readFileSync(fixturePath(cli, name), 'utf8');
}

export function fixtureManifest(cli: CliName): Record<string, FixtureMeta> {
  const p = join(FIXTURE_DIR, cli, 'manifest.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Record<string, FixtureMeta>) : {};
}

/** The kinds of JSON events in an output (`type` or `type/subtype`), and whether it has plain lines. */
export function eventKinds(text: string): string[] {
  const kinds = new Set<string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    try {
      const e = JSON.parse(t) as { type?: string; subtype?: string };
      kinds.add(e.subtype ? `${e.type}/${e.subtype}` : String(e.type));
    } catch {
      kinds.add('(stderr)');
    }
  }
  return [...kinds].sort();
}

function shape(r: AgentReport): Record<string, unknown> {
  return {
    keys: Object.keys(r).sort(),
    token_fields: Object.keys(r.token_usage ?? {}).sort(),
    error_source: r.error_source,
    reported: r.reported,
  };
}

/**
 * Capture mode: writes the run's output as the fixture and records it in the manifest.
 * Check mode: the fixture exists and reads the same way as the live run.
 */
export function matchFixture(cli: CliName, name: string, scenario: string, run: AgentRun, env?: Record<string, string>): void {
  const path = fixturePath(cli, name);
  if (CAPTURE) {
    mkdirSync(join(FIXTURE_DIR, cli), { recursive: true });
    writeFileSync(path, run.output);
    const manifest = fixtureManifest(cli);
    manifest[name] = { cli, version: CLI_VERSIONS[cli], scenario, exit_code: run.code, ...(env ? { env } : {}) };
    const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(join(FIXTURE_DIR, cli, 'manifest.json'), JSON.stringify(sorted, null, 2) + '\n');
    return;
  }
  expect(existsSync(path), `${path} is missing: capture it with WG_CAPTURE_FIXTURES=1 npx vitest run test/real-agents`).toBe(true);
  const fixture = readFileSync(path, 'utf8');
  const meta = fixtureManifest(cli)[name];
  expect(meta?.version, `fixture ${cli}/${name} was captured with another ${cli} version: re-capture it`).toBe(CLI_VERSIONS[cli]);
  expect(meta?.exit_code).toBe(run.code);
  expect(shape(readAgentOutput(run.output)), `live ${cli} output for '${scenario}' reads differently from fixture ${name}.output`).toEqual(shape(readAgentOutput(fixture)));
  expect(eventKinds(run.output), `live ${cli} output for '${scenario}' has other event kinds than fixture ${name}.output`).toEqual(eventKinds(fixture));
}

/**
 * Writes an executable `claude` or `codex` into `binDir` that replays a fixture the way the
 * real CLI printed it: it reads its stdin (the prompt) to the end, prints the JSON lines on
 * stdout and the other lines on stderr, in the captured order, and exits with the captured
 * exit code. For service tests that need the real formats without a model API.
 */
export function writeReplayCli(binDir: string, cli: CliName, name: string): string {
  const meta = fixtureManifest(cli)[name];
  if (!meta) throw new Error(`no fixture ${cli}/${name} in ${join(FIXTURE_DIR, cli, 'manifest.json')}`);
  const path = join(binDir, cli);
  const script = [
    `#!${process.execPath}`,
    `const fs = process.getBuiltinModule('node:fs');`,
    `try { fs.readFileSync(0); } catch {}`,
    `for (const line of fs.readFileSync(${JSON.stringify(fixturePath(cli, name))}, 'utf8').split('\\n')) {`,
    `  if (!line) continue;`,
    `  fs.writeSync(line.startsWith('{') ? 1 : 2, line + '\\n');`,
    `}`,
    `process.exit(${meta.exit_code ?? 1});`,
    '',
  ].join('\n');
  writeFileSync(path, script, { mode: 0o755 });
  return path;
}
