#!/usr/bin/env node
// The almanac command. TypeScript sources run through tsx's loader, so there is no build step
// between a checkout and a running platform.
import { register } from 'tsx/esm/api';

register();
// `almanac status | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// A client library's lingering timer or socket must not keep a finished command alive.
setTimeout(() => process.exit(), 3000).unref();
