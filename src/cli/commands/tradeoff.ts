import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { addTradeoff, readAgents, readTradeoffs, type Tradeoff } from '../../agency/files.js';
import { requireName, resolveRef, shortId } from '../../agency/identity.js';
import { formatTimestamp } from '../../core/time.js';
import { table } from '../../render/table.js';
import { collect } from '../parse.js';
import { CliContext } from '../context.js';

export function tradeoffLines(t: Tradeoff): string[] {
  return [
    `Tradeoff ${t.name} (${shortId(t.id)})`,
    `  id            ${t.id}`,
    `  description   ${t.description}`,
    ...(t.acceptable?.length ? [`  acceptable    ${t.acceptable.join('; ')}`] : []),
    ...(t.unacceptable?.length ? [`  unacceptable  ${t.unacceptable.join('; ')}`] : []),
  ];
}

export function register(program: Command): void {
  const tradeoff = program.command('tradeoff').description('agency tradeoffs: how an agent weighs speed, care, scope (add, list, show)');

  tradeoff
    .command('add')
    .description('add a tradeoff (its id is the SHA-256 of its content; the same content is found, not duplicated)')
    .argument('<name>', 'a short name, e.g. careful')
    .option('-d, --description <text>', 'the priority in one sentence')
    .option('--acceptable <text>', 'an acceptable cost (repeatable)', collect)
    .option('--unacceptable <text>', 'an unacceptable cost (repeatable)', collect)
    .option('--accept <text>', 'the same as --acceptable (the Rust tool\'s spelling; repeatable)', collect)
    .option('--reject <text>', 'the same as --unacceptable (the Rust tool\'s spelling; repeatable)', collect)
    .action((name: string, flags: { description?: string; acceptable?: string[]; unacceptable?: string[]; accept?: string[]; reject?: string[] }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const n = requireName('tradeoff', name);
      // Optional, as in the Rust tool; given, it must say something.
      if (flags.description !== undefined && !flags.description.trim()) throw usageError('empty tradeoff description', 'say what it prioritises: --description "Correctness over speed"');
      const clean = (xs: string[] | undefined): string[] => [...new Set((xs ?? []).map((s) => s.trim()).filter(Boolean))];
      const acceptable = clean([...(flags.acceptable ?? []), ...(flags.accept ?? [])]);
      const unacceptable = clean([...(flags.unacceptable ?? []), ...(flags.reject ?? [])]);
      const r = addTradeoff(
        ctx.paths,
        { name: n, description: flags.description ?? '', ...(acceptable.length ? { acceptable } : {}), ...(unacceptable.length ? { unacceptable } : {}) },
        formatTimestamp(ctx.clock.now()),
      );
      ctx.out({ tradeoff: r.item, created: r.created }, () => (r.created ? `Added tradeoff ${r.item.name} (${shortId(r.item.id)})` : `Tradeoff ${r.item.name} (${shortId(r.item.id)}) already exists with this content`));
    });

  tradeoff
    .command('list')
    .description('list tradeoffs')
    .action((_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const all = readTradeoffs(ctx.paths);
      ctx.out(all, () => (all.length ? table(all.map((t) => [shortId(t.id), t.name, t.description]), { header: ['ID', 'NAME', 'DESCRIPTION'] }) : "No tradeoffs (run 'wg agency init' for a starter set, or 'wg tradeoff add')"));
    });

  tradeoff
    .command('show')
    .description('show a tradeoff (by name or unique id prefix)')
    .argument('<tradeoff>', 'name or id prefix')
    .action((ref: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const t = resolveRef('tradeoff', ref, readTradeoffs(ctx.paths), 'wg tradeoff list');
      const agents = readAgents(ctx.paths).filter((a) => a.tradeoff_id === t.id);
      ctx.out({ ...t, agents: agents.map((a) => a.id) }, () => [...tradeoffLines(t), `  agents        ${agents.length ? agents.map((a) => shortId(a.id)).join(', ') : '(none)'}`]);
    });
}
