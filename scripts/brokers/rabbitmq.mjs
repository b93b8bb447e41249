// RabbitMQ: the system rabbitmq-server, on 127.0.0.1:5672 (guest/guest).
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BrokerError,
  STATE,
  commandExists,
  ownedPid,
  probeTcp,
  run,
  terminate,
  waitForExit,
} from './shared.mjs';

function rabbitLogs() {
  try {
    return readdirSync('/var/log/rabbitmq')
      .filter((f) => f.endsWith('.log') && !f.includes('upgrade'))
      .map((f) => join('/var/log/rabbitmq', f));
  } catch {
    return [];
  }
}

export const rabbitmq = {
  name: 'rabbitmq',
  port: 5672,
  boundMs: 90_000,
  // rabbitmq-server daemonises itself (and may switch to the rabbitmq user), so the pid of the Erlang VM
  // is asked for once it is up and recorded here.
  pidFile: join(STATE, 'rabbitmq.pid'),
  marker: 'beam',
  get logs() {
    return [join(STATE, 'rabbitmq-server.out'), ...rabbitLogs()];
  },

  startingMessage: () => 'rabbitmq starting (system rabbitmq-server, can take 30 s or more)...',

  async launch() {
    if (!(await commandExists('rabbitmq-server'))) {
      throw new BrokerError('rabbitmq: rabbitmq-server is not installed (apt-get install rabbitmq-server)');
    }
    const { code, output } = await run('rabbitmq-server', ['-detached']);
    writeFileSync(this.logs[0], output);
    if (code !== 0)
      throw new BrokerError(`rabbitmq: rabbitmq-server -detached exited with code ${code}`, this.logs);
    // Until the real pid is known, record "started by us" with a placeholder the stop path understands.
    writeFileSync(join(STATE, 'rabbitmq.started'), `${new Date().toISOString()}\n`);
    return {};
  },

  async afterReady() {
    const { code, output } = await run('rabbitmqctl', ['eval', 'os:getpid().']);
    const pid = code === 0 ? /"(\d+)"/.exec(output)?.[1] : undefined;
    if (pid !== undefined) writeFileSync(this.pidFile, `${pid}\n`);
  },

  // AMQP 0-9-1 protocol header; a live broker answers with a Connection.Start method frame (type 1).
  async ready() {
    const reply = await probeTcp(this.port, {
      hello: Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'),
      expectBytes: 7,
    });
    return reply !== null && reply[0] === 1;
  },

  owned() {
    const started = join(STATE, 'rabbitmq.started');
    if (existsSync(this.pidFile)) {
      const pid = ownedPid(this.pidFile, this.marker);
      if (pid === null) rmSync(started, { force: true }); // it has stopped since
      return pid;
    }
    // started by us, but its pid could not be learned (0 = pid unknown)
    return existsSync(started) ? 0 : null;
  },

  async stop(pid) {
    const { code, output } = await run('rabbitmqctl', ['stop']);
    if (code !== 0) {
      console.error(output.trim());
      if (pid > 0) await terminate('rabbitmq', pid, this.marker, 30_000);
    } else if (pid > 0) {
      await waitForExit(pid, this.marker, 60_000);
    }
    rmSync(this.pidFile, { force: true });
    rmSync(join(STATE, 'rabbitmq.started'), { force: true });
  },
};
