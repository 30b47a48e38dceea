// One contending agent: claim --next + done until the deadline; prints what it claimed.
import { wg } from './lib.mjs';

const [dir, deadline, actor] = process.argv.slice(2);
const claimed = [];
const pairMs = [];
let errors = 0;
while (Date.now() < Number(deadline)) {
  const c = wg(['claim', '--next', '--json', '--actor', actor], { cwd: dir, check: false, extraEnv: { WG_USER: actor } });
  if (c.code !== 0) {
    errors++;
    continue;
  }
  const id = JSON.parse(c.stdout).claimed;
  const d = wg(['done', id], { cwd: dir, check: false, extraEnv: { WG_USER: actor } });
  if (d.code !== 0) errors++;
  claimed.push(id);
  pairMs.push(c.ms + d.ms);
}
process.stdout.write(JSON.stringify({ claimed, pairMs, errors }));
