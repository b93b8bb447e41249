#!/usr/bin/env node
/**
 * The `tracebridge` command (package.json `bin`). Only IO lives here; everything else is in `runCli`.
 */
import { createReadStream } from 'node:fs';
import { runCli } from './run-cli';

// A reader that stops early (`tracebridge view f | head`) closes the pipe: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // Streams, read line by line: a trace file may be far larger than what is worth holding in memory.
  readFile: (path) => createReadStream(path, { encoding: 'utf8' }),
  readStdin: () => process.stdin.setEncoding('utf8'),
  stdinPiped: process.stdin.isTTY !== true,
}).then((code) => {
  // exitCode, not exit(): pending writes to a pipe still flush.
  process.exitCode = code;
});
