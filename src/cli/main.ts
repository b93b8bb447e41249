#!/usr/bin/env node
/**
 * The `tracebridge` command (package.json `bin`). Only IO lives here; everything else is in `runCli`.
 */
import { readFile } from 'node:fs/promises';
import { runCli } from './run-cli';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
  readFile: (path) => readFile(path, 'utf8'),
  readStdin,
}).then((code) => {
  // exitCode, not exit(): pending writes to a pipe still flush.
  process.exitCode = code;
});
