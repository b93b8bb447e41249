// Redis: the system redis-server, daemonised, on 127.0.0.1:6379, nothing persisted.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerError, CACHE, HOST, STATE, commandExists, probeTcp, run, terminate } from './shared.mjs';

function writableDir(dir) {
  try {
    const probe = join(dir, `.tracebridge-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

export const redis = {
  name: 'redis',
  port: 6379,
  boundMs: 20_000,
  pidFile: join(STATE, 'redis.pid'),
  marker: 'redis-server',
  logs: [],

  startingMessage: () => 'redis starting (system redis-server)...',

  async launch() {
    if (!(await commandExists('redis-server'))) {
      throw new BrokerError('redis: redis-server is not installed (apt-get install redis-server)');
    }
    // The system locations when we may write there (root on CI), else our own cache.
    let dir = '/var/lib/redis';
    let logFile = '/var/log/redis/ci.log';
    if (!writableDir(dir) || !writableDir('/var/log/redis')) {
      dir = join(CACHE, 'redis');
      logFile = join(dir, 'redis.log');
      mkdirSync(dir, { recursive: true });
    }
    this.logs = [logFile];
    // redis-server forks and writes the pid file itself (with --daemonize yes).
    const { code, output } = await run('redis-server', [
      '--daemonize',
      'yes',
      '--bind',
      HOST,
      '-::1',
      '--port',
      String(this.port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      logFile,
      '--pidfile',
      this.pidFile,
    ]);
    if (code !== 0) {
      console.error(output.trim());
      throw new BrokerError(`redis: redis-server exited with code ${code}`, this.logs);
    }
    return {};
  },

  async ready() {
    const reply = await probeTcp(this.port, {
      hello: 'PING\r\n',
      expectBytes: (b) => b.includes('\r\n'),
    });
    return reply !== null && reply.toString('latin1').startsWith('+PONG');
  },

  async stop(pid) {
    await terminate('redis', pid, this.marker, 15_000);
    rmSync(this.pidFile, { force: true });
  },
};
