/**
 * Errors of the environment are one-line errors, not bugs (issue 14, point 4): a full disk (a
 * small tmpfs, mounted in a private mount namespace — root, as in CI), a read-only file system,
 * a permission denied (wg run as `nobody`), the open-file limit, a lock held too long, and a
 * graph line nested 10⁴ deep. Each gets its own code and hint, and nothing is written.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { environmentError } from '../../src/core/errors.js';
import { project, type Project } from '../helpers/project.js';
import { isOneLineError, WG_BIN } from '../helpers/wg.js';

const dirs: string[] = [];
const projects: Project[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const p of projects.splice(0)) p.cleanup();
});

function tempProject(): Project {
  const p = project();
  projects.push(p);
  return p;
}

/**
 * Runs a bash script in a private mount namespace (`unshare --mount`): its mounts vanish with
 * it. `$WG` runs the built wg; `run NAME ARGS…` records exit code, stdout and stderr as files
 * in `$OUT`, which the test reads.
 */
function inMountNamespace(script: string): { out: string; read(name: string): string; code(name: string): number } {
  const out = mkdtempSync(join(tmpdir(), 'wg-env-out-'));
  const mnt = mkdtempSync(join(tmpdir(), 'wg-env-mnt-'));
  dirs.push(out, mnt);
  const prelude = `set -u
WG="${process.execPath} ${WG_BIN}"
OUT=${JSON.stringify(out)}; MNT=${JSON.stringify(mnt)}
run() { local name=$1; shift; "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; echo $? >"$OUT/$name.code"; }
export USER=tester WG_USER=tester WG_LOCK_TIMEOUT_MS=2000
`;
  const r = spawnSync('unshare', ['--mount', 'bash', '-c', prelude + script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`namespace script failed (${r.status}): ${r.stderr}`);
  const read = (name: string): string => readFileSync(join(out, name), 'utf8');
  return { out, read, code: (name) => Number(read(`${name}.code`).trim()) };
}

describe('a full disk', () => {
  it('is "the disk is full: nothing was written", exit 1, and the graph is the last good version', () => {
    const ns = inMountNamespace(`
mount -t tmpfs -o size=256k tmpfs "$MNT"
cd "$MNT" && $WG init >/dev/null && $WG add "First task" >/dev/null && $WG add "Second task" >/dev/null
cp .wg/graph.jsonl "$OUT/graph.before"
dd if=/dev/zero of=fill bs=4k >/dev/null 2>&1
run add $WG add "Third task"
run log $WG log first-task "a message"
run done $WG done first-task
run json $WG --json edit first-task --title "Renamed"
run read $WG list
cp .wg/graph.jsonl "$OUT/graph.after"
ls -a .wg >"$OUT/ls"
`);
    for (const cmd of ['add', 'log', 'done']) {
      expect(ns.code(cmd), `${cmd}: ${ns.read(`${cmd}.err`)}`).toBe(1);
      const err = ns.read(`${cmd}.err`);
      expect(isOneLineError(err), err).toBe(true);
      expect(err).toMatch(/^error: the disk is full: nothing was written/);
      expect(err).toMatch(/\nhint: free some space/);
    }
    expect(ns.code('json')).toBe(1);
    expect(JSON.parse(ns.read('json.out'))).toMatchObject({ error: { code: 'disk_full', message: expect.stringContaining('the disk is full') } });
    // Reading needs no space.
    expect(ns.code('read')).toBe(0);
    expect(ns.read('read.out')).toContain('first-task');
    expect(ns.read('graph.after')).toBe(ns.read('graph.before'));
    expect(ns.read('ls')).not.toMatch(/wg-tmp/);
  });
});

describe('a read-only file system', () => {
  it('is "the file system is read-only: nothing was written", exit 1', () => {
    const ns = inMountNamespace(`
mount -t tmpfs -o size=1m tmpfs "$MNT"
cd "$MNT" && $WG init >/dev/null && $WG add "First task" >/dev/null
cp .wg/graph.jsonl "$OUT/graph.before"
mount -o remount,ro "$MNT"
run add $WG add "Second task"
run done $WG done first-task
run read $WG show first-task
cp .wg/graph.jsonl "$OUT/graph.after"
`);
    for (const cmd of ['add', 'done']) {
      expect(ns.code(cmd)).toBe(1);
      const err = ns.read(`${cmd}.err`);
      expect(isOneLineError(err), err).toBe(true);
      expect(err).toMatch(/^error: the file system is read-only \(.*\): nothing was written\nhint: /);
    }
    expect(ns.code('read')).toBe(0);
    expect(ns.read('graph.after')).toBe(ns.read('graph.before'));
  });
});

describe('permission denied', () => {
  it('wg run by another user on a root-owned .wg/: "permission denied (PATH): nothing was written"', () => {
    const p = tempProject();
    p.ok(['add', 'First task']);
    // Readable by everyone (mkdtemp makes 0700), writable by root only.
    chmodSync(p.dir, 0o755);
    chmodSync(p.wgDir, 0o755);
    const before = readFileSync(p.graphPath);
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, WG_BIN, 'add', 'Second task'], { cwd: p.dir, encoding: 'utf8', env: { ...process.env, WG_DIR: '', USER: 'nobody' } });
    expect(r.status, r.stderr).toBe(1);
    expect(isOneLineError(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/^error: permission denied \(.*\.wg\/.*\): nothing was written\nhint: check the owner and mode/);
    expect(readFileSync(p.graphPath)).toEqual(before);
  });
});

describe('the open-file limit', () => {
  it('EMFILE is "too many open files", with its own code', () => {
    const e = environmentError(Object.assign(new Error('EMFILE: too many open files, open'), { code: 'EMFILE', syscall: 'open', path: '/p/.wg/graph.jsonl' }));
    expect(e).toMatchObject({ code: 'too_many_open_files', exitCode: 1, message: 'too many open files (open (/p/.wg/graph.jsonl)): nothing was written' });
    expect(e?.hint).toContain('ulimit -n');
  });

  it('each error of the environment has its own code; anything else stays a bug', () => {
    const sys = (code: string): Error => Object.assign(new Error(code), { code, path: '/x' });
    expect(environmentError(sys('ENOSPC'))?.code).toBe('disk_full');
    expect(environmentError(sys('EDQUOT'))?.code).toBe('disk_full');
    expect(environmentError(sys('EACCES'))?.code).toBe('permission_denied');
    expect(environmentError(sys('EPERM'))?.code).toBe('permission_denied');
    expect(environmentError(sys('EROFS'))?.code).toBe('read_only');
    expect(environmentError(sys('ENFILE'))?.code).toBe('too_many_open_files');
    expect(environmentError(sys('EIO'))?.code).toBe('io');
    expect(environmentError(new TypeError('x is undefined'))).toBeUndefined();
    expect(environmentError(sys('ENOENT'))).toBeUndefined();
  });
});

describe('a lock held too long', () => {
  it('is a lock timeout with its own code and hint', () => {
    const p = tempProject();
    p.ok(['add', 'First task']);
    // flock(1) holds .wg/graph.lock while it runs `sleep`.
    const holder = spawnSync('bash', ['-c', `flock ${JSON.stringify(join(p.wgDir, 'graph.lock'))} -c "WG_LOCK_TIMEOUT_MS=300 ${process.execPath} ${WG_BIN} --json add 'Second task'"`], { cwd: p.dir, encoding: 'utf8', env: { ...process.env, USER: 'tester' } });
    expect(holder.status).toBe(1);
    expect(JSON.parse(holder.stdout)).toMatchObject({ error: { code: 'lock_timeout', hint: expect.stringContaining('lock') } });
  });
});

describe('a graph line nested 10⁴ deep', () => {
  it('is graph.jsonl:LINE: nested too deeply, for readers and writers alike', () => {
    const p = tempProject();
    p.rustUnloadable('a graph line nested 10⁴ deep on purpose (serde_json refuses it too)');
    p.ok(['add', 'First task']);
    const deep = `{"kind":"task","id":"deep","title":"t","status":"open","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    writeFileSync(p.graphPath, readFileSync(p.graphPath, 'utf8') + deep + '\n');
    const before = readFileSync(p.graphPath);
    for (const args of [['list'], ['show', 'deep'], ['--json', 'show', 'deep'], ['edit', 'deep', '--title', 'x'], ['add', 'Another']]) {
      const r = p.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      const err = args[0] === '--json' ? (JSON.parse(r.stdout) as { error: { message: string } }).error.message : r.stderr;
      expect(err).toContain('graph.jsonl:2: nested too deeply');
    }
    expect(readFileSync(p.graphPath)).toEqual(before);
  });
});
