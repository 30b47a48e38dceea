import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { planWait } from '../../core/plans/wait.js';
import { describeWait, filePathsIn, parseUntil } from '../../core/wait.js';
import { CliContext } from '../context.js';
import { saveAgentWork } from '../landing.js';

/** `file:` paths made absolute (the service that checks them runs elsewhere). */
function absoluteFiles(until: string): string {
  return until.replace(/(^|[,|])\s*file:([^,|]+)/g, (_m, sep: string, p: string) => `${sep}file:${resolve(p.trim())}`);
}

export function register(program: Command): void {
  program
    .command('wait')
    .description('park a task until a condition holds (status waiting, claim released, slot freed); the service resumes it')
    .argument('<id>', 'task id')
    .requiredOption('--until <condition>', 'task:ID[=STATUS], timer:5m | timer:TIMESTAMP, message, human-input, file:PATH (a,b = all; a|b = any)')
    .option('--checkpoint <summary>', 'save where the work stands (the resumed attempt starts from it)')
    .action(async (id: string, flags: { until: string; checkpoint?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const until = absoluteFiles(flags.until);
      const mtimes = new Map<string, number>();
      for (const p of filePathsIn(until)) {
        try {
          mtimes.set(p, Math.floor(statSync(p).mtimeMs / 1000));
        } catch {
          // not there yet: its appearance is a change
        }
      }
      if (who.agentId) {
        parseUntil(until, await ctx.fullGraph(), id, who.now, mtimes); // a bad condition commits nothing either
        await saveAgentWork(ctx, id, who, `work so far (parked until ${until})`);
      }
      const r = await ctx.mutate(who, (g) => planWait(g, id, parseUntil(until, g, id, who.now, mtimes), until, who, flags.checkpoint !== undefined ? { checkpoint: flags.checkpoint } : {}));
      const spec = describeWait(r.task.wait_condition as Parameters<typeof describeWait>[0]);
      ctx.out({ task: r.task, until: spec, was: r.was ?? null }, () => [
        `Parked '${id}' until: ${spec}`,
        who.agentId ? 'Your claim is released and your slot is free: exit now. The service resumes the task (a new agent, with your checkpoint) when the condition holds.' : 'The service resumes it when the condition holds.',
      ]);
    });
}
