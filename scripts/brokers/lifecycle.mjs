// start, stop and status over any set of brokers. A broker is an object with name, port, boundMs, pidFile,
// marker, logs, startingMessage(), launch() and ready(launched); optionally stopGraceMs, hint,
// afterReady(), owned() and stop(pid) where the generic pid-file handling does not fit, and missing()
// (why an optional broker is not started, or null).
import { mkdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BrokerError,
  HOST,
  JAVA,
  STATE,
  fail,
  isListening,
  ownedPid,
  printLogTails,
  say,
  seconds,
  terminate,
} from './shared.mjs';

function owned(broker) {
  if (broker.owned) return broker.owned();
  return ownedPid(broker.pidFile, broker.marker);
}

async function stopOwned(broker, pid) {
  if (broker.stop) return broker.stop(pid);
  await terminate(broker.name, pid, broker.marker, broker.stopGraceMs ?? 20_000);
  rmSync(broker.pidFile, { force: true });
}

async function startOne(broker) {
  const where = `${HOST}:${broker.port}`;
  const began = Date.now();
  const ours = owned(broker);
  let launched;

  if (await isListening(broker.port)) {
    say(
      `${broker.name} already listening on ${where} ` +
        (ours !== null
          ? `(started by this script${ours > 0 ? `, pid ${ours}` : ''})`
          : '(not started by this script)'),
    );
  } else if (ours !== null && ours > 0) {
    say(`${broker.name} already starting (pid ${ours}); waiting for it...`);
  } else {
    const missing = broker.missing ? await broker.missing() : null;
    if (missing !== null) {
      say(missing);
      return;
    }
    say(broker.startingMessage());
    launched = await broker.launch();
  }

  const boundStart = Date.now();
  const deadline = boundStart + broker.boundMs;
  for (;;) {
    if (launched?.state?.error) {
      throw new BrokerError(
        `${broker.name}: could not run ${JAVA}: ${launched.state.error.message}`,
        broker.logs,
      );
    }
    if (launched?.state?.exited) {
      const { code, signal } = launched.state.exited;
      rmSync(broker.pidFile, { force: true });
      throw new BrokerError(
        `${broker.name} exited before it was ready (${signal ? `signal ${signal}` : `exit code ${code}`})`,
        broker.logs,
      );
    }
    if (await broker.ready(launched)) break;
    if (Date.now() >= deadline) {
      const error =
        launched === undefined && ours === null
          ? new BrokerError(
              `something is listening on ${where} but it did not answer as ${broker.name} within ` +
                `${seconds(broker.boundMs)}; it was not started by this script, so check what owns the port`,
            )
          : new BrokerError(
              `${broker.name} did not become ready on ${where} within ${seconds(broker.boundMs)}` +
                (broker.hint ? ` (${broker.hint})` : ''),
              broker.logs,
            );
      error.cleanup = launched !== undefined;
      throw error;
    }
    await sleep(500);
  }
  if (launched !== undefined && broker.afterReady) await broker.afterReady();
  if (launched !== undefined) say(`${broker.name} ready on ${where} (${seconds(Date.now() - began)})`);
  else if (Date.now() - boundStart > 1000)
    say(`${broker.name} ready on ${where} (waited ${seconds(Date.now() - boundStart)})`);
}

export async function start(brokers, names) {
  mkdirSync(STATE, { recursive: true });
  const results = await Promise.allSettled(names.map((n) => startOne(brokers[n])));
  const failed = [];
  for (const [i, result] of results.entries()) {
    if (result.status === 'fulfilled') continue;
    const broker = brokers[names[i]];
    failed.push(broker.name);
    const err = result.reason;
    fail(err instanceof Error ? err.message : String(err));
    if (!(err instanceof BrokerError)) console.error(err);
    if (err instanceof BrokerError) printLogTails(err.logs);
    if (err?.cleanup) {
      const pid = owned(broker);
      if (pid !== null) {
        say(`${broker.name}: stopping what this script started${pid > 0 ? ` (pid ${pid})` : ''}`);
        await stopOwned(broker, pid);
      }
    }
  }
  if (failed.length > 0) {
    fail(`could not start: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

export async function stop(brokers, names) {
  await Promise.all(
    names.map(async (name) => {
      const broker = brokers[name];
      const pid = owned(broker);
      const listening = await isListening(broker.port);
      if (pid === null) {
        say(
          listening
            ? `${name} left running on ${HOST}:${broker.port} (not started by this script)`
            : `${name} not running`,
        );
        return;
      }
      const began = Date.now();
      say(`${name} stopping${pid > 0 ? ` (pid ${pid})` : ''}...`);
      await stopOwned(broker, pid);
      const deadline = Date.now() + 15_000;
      while ((await isListening(broker.port)) && Date.now() < deadline) await sleep(250);
      if (await isListening(broker.port)) {
        fail(`${name} still listening on ${HOST}:${broker.port} after stop`);
        process.exitCode = 1;
      } else {
        say(`${name} stopped (${seconds(Date.now() - began)})`);
      }
    }),
  );
}

export async function status(brokers, names) {
  for (const name of names) {
    const broker = brokers[name];
    const pid = owned(broker);
    const listening = await isListening(broker.port);
    const by =
      pid !== null ? `started by this script${pid > 0 ? ` (pid ${pid})` : ''}` : 'not started by this script';
    say(
      `${name.padEnd(10)} ${listening ? `listening on ${HOST}:${broker.port}` : `not listening on ${HOST}:${broker.port}`}, ${by}`,
    );
  }
}
