// The site every variant serves: a trivial route, a realistic one, and an event route for bare Express.
'use strict';
const express = require('express');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Stand-ins for a database: answers that arrive through promises, one of them after a timer.
async function findUser(id) {
  await null;
  return { id: String(id ?? 'anonymous'), plan: 'pro' };
}
async function loadItem(n) {
  await sleep(1);
  return { n, title: `item ${n}` };
}

/** What an event handler would do with a 1 KB JSON event: parse it, answer a small summary. */
function handleEvent(bytes) {
  const event = JSON.parse(bytes);
  return { ok: true, items: event.items.length };
}

/**
 * `before`: the variant's middleware, mounted first. `requestId(req)`: how the variant's own code
 * finds the request id from inside the request's async flow (each peer has its own store).
 */
function createApp({ before = [], requestId }) {
  const app = express();
  app.set('etag', false); // not part of what is measured, and bare Express would pay it too
  for (const middleware of before) app.use(middleware);
  app.get('/hello', (req, res) => {
    res.send('hello');
  });
  app.get('/work', async (req, res) => {
    const user = await findUser(req.query.id);
    const items = await Promise.all([loadItem(1), loadItem(2)]);
    console.log('user %s loaded %d items (request %s)', user.id, items.length, requestId(req));
    res.json({ user, items });
  });
  app.post('/invoke', express.raw({ type: () => true, limit: '32mb' }), (req, res) => {
    res.json(handleEvent(req.body));
  });
  return app;
}

function port() {
  return Number(process.env.PORT || process.env.FC_CUSTOM_LISTEN_PORT || 9000);
}

module.exports = { createApp, handleEvent, port };
