import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wg } from '../helpers/wg.js';

const root = resolve(__dirname, '../..');

describe('docs stay true', () => {
  it('docs/agent-guide.md contains exactly what `wg agent-guide` prints', () => {
    const printed = wg(root, ['agent-guide']).stdout.trimEnd();
    expect(readFileSync(resolve(root, 'docs/agent-guide.md'), 'utf8')).toContain(printed);
  });

  it('docs/quickstart.md contains exactly what `wg quickstart` prints, with a Recovery section', () => {
    const printed = wg(root, ['quickstart']).stdout.trimEnd();
    expect(printed).toContain('## Recovery');
    for (const cmd of ['wg retry', 'wg agents kill', 'wg reset', 'wg recover', 'wg unclaim', 'wg sweep']) expect(printed).toContain(cmd);
    expect(readFileSync(resolve(root, 'docs/quickstart.md'), 'utf8')).toContain(printed);
  });

  it('every command in `wg --help` has a description', () => {
    const help = wg(root, ['--help']).stdout;
    for (const cmd of ['init', 'add', 'service', 'retry', 'reset', 'recover', 'sweep', 'agents', 'quickstart']) expect(help).toMatch(new RegExp(`\\n  ${cmd}\\b`));
  });
});
