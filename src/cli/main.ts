#!/usr/bin/env node
/**
 * The `tracebridge` command (package.json `bin`). Only IO lives here; everything else is in `runCli`.
 */
import { open } from 'node:fs/promises';
import { runCli } from './run-cli';

/** A file's text in chunks, streamed: a trace file may be far larger than what is worth holding. */
async function* readFileChunks(path: string): AsyncGenerator<string> {
  const file = await open(path);
  // The stream closes the file when it ends or fails.
  yield* file.createReadStream({ encoding: 'utf8' }) as AsyncIterable<string>;
}

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
  readFile: readFileChunks,
  readStdin: () => process.stdin.setEncoding('utf8'),
  stdinPiped: process.stdin.isTTY !== true,
}).then((code) => {
  // exitCode, not exit(): pending writes to a pipe still flush.
  process.exitCode = code;
});
