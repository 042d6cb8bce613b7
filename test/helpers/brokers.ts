/*
 * Real MQTT brokers for tests, on free ports of 127.0.0.1: mosquitto (the
 * Debian package; .ci/run installs it) and the embedded aedes broker. Both
 * can be stopped and started again on the same port.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/mqtt/embedded-broker';

type AfterHook = { after(fn: () => void | Promise<void>): void };

export interface TestBroker {
  kind: 'mosquitto' | 'aedes';
  url: string;
  port: number;
  /** Stops the broker (its clients see the connection drop); resolves when it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (retained messages are gone: neither keeps them across restarts). */
  start(): Promise<void>;
}

export interface MosquittoBroker extends TestBroker {
  kind: 'mosquitto';
  /** Mosquitto's own log, for assertion messages. */
  log(): string;
  /** The broker process while it runs (benchmarks read its memory). */
  pid(): number | null;
}

export interface TlsFiles {
  /** The CA that signed the server and client certificates. */
  ca: string;
  /** Server certificate (SAN IP:127.0.0.1, DNS:localhost) and key. */
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

export interface MosquittoOptions {
  port?: number;
  /** Without users anonymous clients are allowed; with them a password is required. */
  users?: { username: string; password: string }[];
  /** mqtts on the listener; the client must present a certificate signed by `ca` unless requireCertificate is false. */
  tls?: { ca: string; cert: string; key: string; requireCertificate?: boolean };
  /** Log errors and warnings only (benchmarks: a connection log of hundreds of clients costs time). */
  quiet?: boolean;
  /**
   * The text of an ACL file (mosquitto.conf(5) acl_file): `topic` lines before
   * any `user` line apply to anonymous clients. Under MQTT 5 a denied QoS 1
   * publish gets a PUBACK with reason code 0x87 Not authorized.
   */
  acl?: string;
}

const MOSQUITTO_PATHS = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto'];

function onPath(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function mosquittoBin(): string | null {
  return MOSQUITTO_PATHS.find((p) => existsSync(p)) ?? onPath('mosquitto');
}

/** Whether the broker can run here; tests skip with a message naming the package only when it cannot. */
export function brokerAvailable(kind: 'mosquitto' | 'aedes'): boolean {
  return kind === 'aedes' || mosquittoBin() !== null;
}

export const MOSQUITTO_MISSING = 'mosquitto is not installed (apt-get install mosquitto; .ci/run does it)';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tempDir(t: AfterHook | undefined, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t?.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function mosquittoConf(dir: string, port: number, opts: MosquittoOptions): string {
  const logging = opts.quiet
    ? ['log_type error', 'log_type warning', 'log_type notice', 'log_type information', 'connection_messages false']
    : ['log_type all', 'connection_messages true'];
  const lines = [
    `listener ${port} 127.0.0.1`,
    'persistence false',
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    ...logging,
  ];
  // Run as root (CI), mosquitto would drop to the mosquitto user, which cannot read this 0700 directory.
  if (process.getuid?.() === 0) lines.push(`user ${userInfo().username}`);
  if (opts.users?.length) {
    if (!onPath('mosquitto_passwd'))
      throw new Error('mosquitto_passwd is not installed (it comes with the mosquitto package)');
    const file = join(dir, 'passwd');
    opts.users.forEach((u, i) => {
      execFileSync(
        'mosquitto_passwd',
        i === 0 ? ['-b', '-c', file, u.username, u.password] : ['-b', file, u.username, u.password],
        { stdio: 'pipe' },
      );
    });
    lines.push('allow_anonymous false', `password_file ${file}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (opts.acl !== undefined) {
    const file = join(dir, 'acl');
    writeFileSync(file, opts.acl.endsWith('\n') ? opts.acl : `${opts.acl}\n`);
    lines.push(`acl_file ${file}`);
  }
  if (opts.tls) {
    lines.push(
      `cafile ${opts.tls.ca}`,
      `certfile ${opts.tls.cert}`,
      `keyfile ${opts.tls.key}`,
      `require_certificate ${opts.tls.requireCertificate ?? true}`,
    );
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  return conf;
}

class EarlyExit extends Error {}

/** Until mosquitto says it runs (in the log written since `logFrom`) and the port accepts; another process on the port does not count. */
async function waitUntilRunning(port: number, child: ChildProcess, log: () => string, logFrom: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new EarlyExit(
        `mosquitto exited (${child.exitCode ?? child.signalCode}) before listening on ${port}:\n${log()}`,
      );
    if (log().slice(logFrom).includes(' running') && (await portAccepts(port))) return;
    await sleep(25);
  }
  throw new Error(`mosquitto did not listen on ${port} within 10 s:\n${log()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A mosquitto of its own: config, password file and log in a temp directory; stopped when the test ends. */
export async function startMosquitto(t?: AfterHook, opts: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const bin = mosquittoBin();
  if (!bin) throw new Error(MOSQUITTO_MISSING);
  const dir = tempDir(t, 'deepend-mosquitto-');
  const logFile = join(dir, 'mosquitto.log');
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let port = opts.port ?? 0;
  let conf = '';
  let child: ChildProcess | null = null;
  let stderr = '';

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    stderr = '';
    const logFrom = readLog().length;
    const c = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child = c;
    await waitUntilRunning(port, c, () => `${stderr}${readLog()}`, logFrom);
  };
  const stop = async () => {
    if (child) await stopChild(child);
  };
  t?.after(stop);
  // A free port can be taken between freePort() and mosquitto's bind: pick another.
  for (let tries = 1; ; tries++) {
    if (!opts.port) port = await freePort();
    conf = mosquittoConf(dir, port, opts);
    try {
      await start();
      break;
    } catch (err) {
      if (opts.port || !(err instanceof EarlyExit) || tries === 3) throw err;
    }
  }
  const pid = () => {
    const c = child as ChildProcess | null;
    return c && c.exitCode === null && c.signalCode === null ? (c.pid ?? null) : null;
  };
  return {
    kind: 'mosquitto',
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    start,
    stop,
    log: () => readLog() || '(no log)',
    pid,
  };
}

/** The embedded aedes broker (MQTT 3.1.1) behind the same interface; stopped when the test ends. */
export async function startAedesBroker(t?: AfterHook, opts: { port?: number } = {}): Promise<TestBroker> {
  let broker: EmbeddedBroker | null = await startEmbeddedBroker({ port: opts.port ?? 0 });
  const port = broker.port;
  const stop = async () => {
    const b = broker;
    broker = null;
    await b?.close();
  };
  const start = async () => {
    broker ??= await startEmbeddedBroker({ port });
  };
  t?.after(stop);
  return { kind: 'aedes', url: `mqtt://127.0.0.1:${port}`, port, start, stop };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/**
 * A throwaway CA, a server certificate for 127.0.0.1 and a client
 * certificate for `clientName`, made with openssl in a temp directory.
 */
export function makeTestCerts(t?: AfterHook, clientName = 'test-device'): TlsFiles {
  if (!onPath('openssl')) throw new Error('openssl is not installed');
  const dir = tempDir(t, 'deepend-certs-');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=deepend test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', '127.0.0.1'],
    ['client', clientName],
  ]) {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  }
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}
