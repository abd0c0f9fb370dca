// One variant server as a child process: free port, start, wait for the port, talk over IPC, stop.
'use strict';
const { fork, spawn } = require('child_process');
const fs = require('fs');
const net = require('net');

/** A port the OS has just handed out (and taken back): free for the next moment. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to the port is accepted; polls every `everyMs`. */
function waitForPort(port, { child, timeoutMs = 30_000, everyMs = 1 } = {}) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let exited = false;
    const onExit = (code, signal) => {
      exited = true;
      reject(new Error(`exited (${signal ?? code}) before listening`));
    };
    child?.once('exit', onExit);
    const attempt = () => {
      if (exited) return;
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        child?.removeListener('exit', onExit);
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) {
          child?.removeListener('exit', onExit);
          return reject(new Error(`not listening on ${port} after ${timeoutMs} ms`));
        }
        setTimeout(attempt, everyMs);
      });
    };
    attempt();
  });
}

function envFor(port) {
  // The app's own port differs from FC's, so that `register` is seen to take over the server.
  return { ...process.env, FC_CUSTOM_LISTEN_PORT: String(port), PORT: String(port), NODE_ENV: 'production' };
}

function missing(variant) {
  return variant.needs !== undefined && !fs.existsSync(variant.needs) ? `${variant.needs} not built` : undefined;
}

/**
 * A long-lived variant server with an IPC channel. Its stdout is a pipe that the driver reads and
 * throws away, as FC's log collector reads a function's stdout; stderr is kept for error messages.
 */
class Server {
  constructor(name, variant) {
    this.name = name;
    this.variant = variant;
    this.stdoutBytes = 0;
    this.stderr = '';
    this.waiting = new Map();
  }

  async start({ exposeGc = false } = {}) {
    this.port = await freePort();
    const env = { ...envFor(this.port), ...this.variant.env };
    if (this.variant.execArgv.includes('-r')) env.PORT = String(await freePort());
    const execArgv = [...this.variant.execArgv, ...(exposeGc ? ['--expose-gc'] : [])];
    this.child = fork(this.variant.script, [], { env, execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child.stdout.on('data', (chunk) => (this.stdoutBytes += chunk.length));
    this.child.stderr.on('data', (chunk) => (this.stderr = (this.stderr + chunk).slice(-2000)));
    this.child.on('message', (message) => {
      const resolve = this.waiting.get(message.type);
      this.waiting.delete(message.type);
      resolve?.(message);
    });
    try {
      await waitForPort(this.port, { child: this.child, everyMs: 20 });
    } catch (error) {
      this.stop();
      throw new Error(`${this.name}: ${error.message}${this.stderr ? `\n${this.stderr.trim()}` : ''}`, { cause: error });
    }
  }

  ask(type) {
    return new Promise((resolve) => {
      this.waiting.set(type, resolve);
      this.child.send({ type });
    });
  }

  /** Starts the server's CPU clock for a window. */
  resetCpu() {
    return this.ask('reset');
  }

  /** CPU microseconds (user + system, all threads) since resetCpu(). */
  async readCpu() {
    const { user, system } = await this.ask('read');
    return user + system;
  }

  /** Heap in use after two forced full GCs. */
  async heapUsed() {
    return (await this.ask('heap')).heapUsed;
  }

  stop() {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Cold start as FC sees it: from spawning the server (what a bootstrap's `exec node …` runs) to
 * the first connection accepted on the port.
 */
async function coldStart(variant) {
  const port = await freePort();
  const env = envFor(port);
  if (variant.execArgv.includes('-r')) env.PORT = String(await freePort());
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...variant.execArgv, variant.script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  try {
    await waitForPort(port, { child });
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    const exited = new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    child.kill('SIGKILL');
    await exited;
  }
}

module.exports = { Server, coldStart, missing, freePort, waitForPort };
