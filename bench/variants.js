// The variants: which server script, which node flags, and how the driver reaches it.
'use strict';
const path = require('path');

const root = path.join(__dirname, '..');
const servers = path.join(__dirname, 'servers');
const registerHook = path.join(root, 'dist', 'register.js');

/** name → { label, script, execArgv }. Bare first: every ratio is against it. */
const VARIANTS = {
  bare: { label: 'bare Express 5', script: 'bare.js' },
  // The same server again: how far apart two identical variants land is the noise of the run.
  'bare-again': { label: 'bare Express 5, again (noise)', script: 'bare.js' },
  adapter: { label: 'fcRuntime, everything on', script: 'adapter.js' },
  register: { label: 'node -r register', script: 'register.js', execArgv: ['-r', registerHook], needs: registerHook },
  // What a team would write by hand with the best libraries: pino-http, AsyncLocalStorage, on-headers.
  peer: { label: 'hand-written: pino-http + ALS + on-headers', script: 'peer.js' },
  'http-context': { label: 'express-http-context', script: 'http-context.js' },
  rtracer: { label: 'cls-rtracer', script: 'rtracer.js' },
  'cls-hooked': { label: 'cls-hooked middleware', script: 'cls-hooked.js' },
};

for (const variant of Object.values(VARIANTS)) {
  variant.script = path.join(servers, variant.script);
  variant.execArgv ??= [];
}

module.exports = { VARIANTS, root };
