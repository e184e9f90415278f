/**
 * Rewrites schema/supergraph.graphql from the subgraph schemas in schema/:
 * `node --import tsx scripts/compose-supergraph.ts`. `almanac compose` does the same.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { isAlmanacError } from '../src/errors.ts';
import { writeSupergraph } from '../src/api/compose.ts';

try {
  const { path: written, changed } = await writeSupergraph();
  const shown = path.relative(PROJECT_ROOT, written);
  console.log(changed ? `composed ${shown}` : `${shown} is up to date`);
} catch (error) {
  if (!isAlmanacError(error)) throw error;
  console.error(`compose: ${error.toLine()}`);
  process.exitCode = 1;
}
