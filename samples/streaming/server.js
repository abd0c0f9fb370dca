// A site that streams, as it runs on a VM: file downloads, a chunked CSV report, server-sent events and
// large uploads, all with Node streams (nothing held whole in memory). On Function Compute it runs unchanged.
const { createHash } = require('crypto');
const { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } = require('fs');
const os = require('os');
const path = require('path');
const { Transform } = require('stream');
const { pipeline } = require('stream/promises');
const express = require('express');

const app = express();
// /tmp is the one writable place on Function Compute (and per instance): uploads are kept there.
const uploads = process.env.UPLOAD_DIR || path.join(os.tmpdir(), 'streaming-sample-uploads');
mkdirSync(uploads, { recursive: true });
const MAX_UPLOAD = 100 * 1024 * 1024;
const SAFE_NAME = /^[\w][\w.-]{0,99}$/;

app.use(express.static(path.join(__dirname, 'public')));

// A file that ships with the site, as an attachment.
app.get('/download/handbook.txt', (req, res) => {
  res.download(path.join(__dirname, 'files', 'handbook.txt'));
});

// A report of any length, written row by row as it is computed: a chunked response.
app.get('/report.csv', async (req, res) => {
  const rows = Math.min(Number(req.query.rows) || 1000, 1_000_000);
  res.type('text/csv').attachment('report.csv');
  res.write('day,orders,revenue\n');
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < rows && !res.destroyed; i++) {
    const day = new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    // write() returns false once the client is behind: wait for it instead of buffering.
    if (!res.write(`${day},${(i * 37) % 101},${((i * 7919) % 100000) / 100}\n`)) {
      await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
    }
  }
  res.end();
});

// Server-sent events: every open page gets each message posted to /messages.
const listeners = new Set();

app.get('/events', (req, res) => {
  res.set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  res.write(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ listeners: listeners.size + 1 })}\n\n`);
  const send = (message) => res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  listeners.add(send);
  console.log('event stream opened (%d open)', listeners.size);
  req.on('close', () => {
    clearInterval(heartbeat);
    listeners.delete(send);
    console.log('event stream closed (%d open)', listeners.size);
  });
});

app.post('/messages', express.json(), (req, res) => {
  const text = typeof req.body?.text === 'string' ? req.body.text.trim() : '';
  if (text === '' || text.length > 1000) {
    res.status(422).json({ error: 'A message needs a text of 1 to 1000 characters.' });
    return;
  }
  const message = { text, at: new Date().toISOString() };
  for (const send of listeners) send(message);
  res.status(202).json({ delivered: listeners.size });
});

// A large upload, streamed to disk while it is hashed: `curl -T big.iso http://host/uploads/big.iso`.
app.put('/uploads/:name', async (req, res) => {
  const { name } = req.params;
  if (!SAFE_NAME.test(name)) {
    res.status(400).json({ error: 'File names are letters, digits, dots, dashes and underscores.' });
    return;
  }
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_UPLOAD) {
    res.status(413).json({ error: `Uploads are at most ${MAX_UPLOAD} bytes.` });
    return;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > MAX_UPLOAD) return callback(Object.assign(new Error('Upload too large'), { status: 413 }));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const partial = path.join(uploads, `.${name}.${process.pid}.${Date.now()}.part`);
  try {
    await pipeline(req, measure, createWriteStream(partial));
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  renameSync(partial, path.join(uploads, name));
  console.log('stored %s (%d bytes)', name, bytes);
  res
    .status(201)
    .location(`/uploads/${name}`)
    .json({ name, bytes, sha256: hash.digest('hex') });
});

app.get('/uploads', (req, res) => {
  const files = readdirSync(uploads)
    .filter((file) => !file.startsWith('.'))
    .map((file) => ({ name: file, bytes: statSync(path.join(uploads, file)).size }));
  res.json({ files });
});

// Downloads of what was uploaded, with ranges (resumable downloads, video seeking) from send.
app.get('/uploads/:name', (req, res, next) => {
  if (!SAFE_NAME.test(req.params.name)) return next();
  res.download(path.join(uploads, req.params.name), (err) => {
    if (err && !res.headersSent) res.status(404).json({ error: `No upload named ${req.params.name}` });
  });
});

// eslint-disable-next-line no-unused-vars -- Express tells an error handler by its four parameters
app.use((err, req, res, next) => {
  if (!err.status || err.status >= 500) console.error(err);
  if (res.headersSent) return res.destroy();
  res.status(err.status || 500).json({ error: err.message });
});

module.exports = app;

if (require.main === module) {
  const server = app.listen(process.env.PORT || 3000, () => {
    console.log('Streaming site listening on port %d', server.address().port);
  });
}
