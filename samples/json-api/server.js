// A JSON API as it runs on a VM: Express 5, async handlers, validation errors, CORS, an in-memory store.
// On Function Compute it runs unchanged; fc-runtime.config.js adds its events and initializer.
const express = require('express');
const cors = require('cors');
const tasks = require('./lib/tasks');

const app = express();
const origins = (process.env.CORS_ORIGINS || 'http://localhost:5173,https://app.example.com').split(',');

app.use(cors({ origin: origins, maxAge: 600 }));
app.use(express.json({ limit: '100kb' }));

app.get('/health', (req, res) => {
  res.json({ ok: true });
});

const api = express.Router();

// The first request warms the cache (seed data and counts) if nothing else has.
api.use(async (req, res, next) => {
  await tasks.warm('first request');
  next();
});

api.get('/tasks', async (req, res) => {
  const done = req.query.done === undefined ? undefined : req.query.done === 'true';
  res.json({ tasks: await tasks.list({ tag: req.query.tag, done }) });
});

api.get('/tasks/:id', async (req, res) => {
  res.json(await tasks.get(req.params.id));
});

api.post('/tasks', async (req, res) => {
  const task = await tasks.create(req.body);
  console.log('created task %s', task.id);
  res.status(201).location(`/api/tasks/${task.id}`).json(task);
});

api.patch('/tasks/:id', async (req, res) => {
  res.json(await tasks.update(req.params.id, req.body));
});

api.delete('/tasks/:id', async (req, res) => {
  await tasks.remove(req.params.id);
  res.status(204).end();
});

api.get('/stats', async (req, res) => {
  res.json(await tasks.stats());
});

app.use('/api', api);

app.use((req, res) => {
  res.status(404).json({ error: 'not_found', message: `No route for ${req.method} ${req.path}` });
});

// eslint-disable-next-line no-unused-vars -- Express tells an error handler by its four parameters
app.use((err, req, res, next) => {
  if (err instanceof tasks.ValidationError) {
    res.status(422).json({ error: 'validation_failed', details: err.details });
  } else if (err instanceof tasks.NotFoundError) {
    res.status(404).json({ error: 'not_found', message: err.message });
  } else if (err.type === 'entity.parse.failed') {
    res.status(400).json({ error: 'invalid_json', message: 'The body is not valid JSON.' });
  } else {
    console.error(err);
    res.status(500).json({ error: 'internal', message: 'Something went wrong.' });
  }
});

module.exports = app;

if (require.main === module) {
  const server = app.listen(process.env.PORT || 3000, () => {
    console.log('Tasks API listening on port %d', server.address().port);
  });
}
