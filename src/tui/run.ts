/** Starts `wg tui` on the terminal and resolves when the user quits. */
import { render } from 'ink';
import { createElement } from 'react';
import type { DashboardActions } from '../dashboard/actions.js';
import type { DashboardSource } from '../dashboard/source.js';
import { App } from './app.js';

export async function runTui(source: DashboardSource, actions: DashboardActions): Promise<void> {
  const instance = render(createElement(App, { source, actions }), { exitOnCtrlC: true, patchConsole: false });
  try {
    await instance.waitUntilExit();
  } finally {
    source.close();
  }
}
