/**
 * The Rust-format fixtures (test/fixtures/rust/, see its README): copied into a temp directory
 * before use, so no test ever writes into the repository.
 */
import { cpSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const RUST_FIXTURES = resolve(__dirname, '../fixtures/rust');
export type RustFixture = 'legacy-project' | 'plain-project';

/** Copies the fixture project into `parent/name` and returns that project directory. */
export function copyRustFixture(fixture: RustFixture, parent: string, name: string = fixture): string {
  const dest = join(parent, name);
  cpSync(join(RUST_FIXTURES, fixture), dest, { recursive: true });
  return dest;
}
