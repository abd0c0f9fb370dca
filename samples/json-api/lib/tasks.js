// The tasks service: validation, the store and a warm cache of per-tag counts. Routes and events both use it.
const { readFile } = require('fs/promises');
const path = require('path');
const { Store } = require('./store');

class ValidationError extends Error {
  constructor(details) {
    super(`Invalid task: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`);
    this.name = 'ValidationError';
    this.status = 422;
    this.details = details;
  }
}

class NotFoundError extends Error {
  constructor(id) {
    super(`No task ${id}`);
    this.name = 'NotFoundError';
    this.status = 404;
  }
}

const store = new Store();
// The cache: seeded from data/seed.json, kept with per-tag counts so /api/stats never scans the store.
const cache = { warm: undefined, warmedBy: undefined, warmedAt: undefined, tagCounts: new Map() };

/** Loads the seed tasks and builds the tag counts, once; later calls wait for that one run. */
function warm(reason) {
  if (cache.warm === undefined) {
    cache.warm = (async () => {
      const seed = JSON.parse(await readFile(path.join(__dirname, '..', 'data', 'seed.json'), 'utf8'));
      for (const task of seed) await insert(task);
      cache.warmedBy = reason;
      cache.warmedAt = new Date().toISOString();
    })();
    cache.warm.catch(() => (cache.warm = undefined));
  }
  return cache.warm;
}

function count(tags, delta) {
  for (const tag of tags) cache.tagCounts.set(tag, (cache.tagCounts.get(tag) || 0) + delta);
}

/** The problems with a task's fields; `partial` for an update, where every field is optional. */
function problems(input, partial) {
  const found = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [{ field: 'body', message: 'must be a JSON object' }];
  if (!partial || input.title !== undefined) {
    if (typeof input.title !== 'string' || input.title.trim() === '') found.push({ field: 'title', message: 'is required' });
    else if (input.title.length > 200) found.push({ field: 'title', message: 'must be at most 200 characters' });
  }
  if (
    input.tags !== undefined &&
    (!Array.isArray(input.tags) || !input.tags.every((t) => typeof t === 'string' && /^[a-z0-9-]{1,30}$/.test(t)))
  ) {
    found.push({ field: 'tags', message: 'must be a list of lowercase words' });
  }
  if (input.done !== undefined && typeof input.done !== 'boolean') found.push({ field: 'done', message: 'must be true or false' });
  if (input.due !== undefined && (typeof input.due !== 'string' || Number.isNaN(Date.parse(input.due)))) {
    found.push({ field: 'due', message: 'must be a date such as 2025-06-30' });
  }
  return found;
}

async function insert(input) {
  const task = await store.insert({
    title: input.title.trim(),
    tags: input.tags || [],
    done: input.done || false,
    due: input.due,
    createdAt: new Date().toISOString(),
  });
  count(task.tags, 1);
  return task;
}

async function create(input) {
  const found = problems(input, false);
  if (found.length > 0) throw new ValidationError(found);
  return insert(input);
}

async function get(id) {
  const task = await store.find(id);
  if (task === undefined) throw new NotFoundError(id);
  return task;
}

async function list({ tag, done } = {}) {
  const tasks = await store.all();
  return tasks.filter((t) => (tag === undefined || t.tags.includes(tag)) && (done === undefined || t.done === done));
}

async function update(id, changes) {
  const found = problems(changes, true);
  if (found.length > 0) throw new ValidationError(found);
  const before = await get(id);
  const allowed = {};
  for (const key of ['title', 'tags', 'done', 'due']) if (changes[key] !== undefined) allowed[key] = changes[key];
  const task = await store.update(id, allowed);
  count(before.tags, -1);
  count(task.tags, 1);
  return task;
}

async function remove(id) {
  const task = await get(id);
  await store.remove(id);
  count(task.tags, -1);
}

/** Removes the tasks that are done; returns how many. */
async function archiveDone() {
  const done = await list({ done: true });
  for (const task of done) await remove(task.id);
  return done.length;
}

async function stats() {
  const tasks = await store.all();
  const byTag = Object.fromEntries([...cache.tagCounts].filter(([, n]) => n > 0).sort());
  return {
    total: tasks.length,
    done: tasks.filter((t) => t.done).length,
    byTag,
    cache: { warmedBy: cache.warmedBy, warmedAt: cache.warmedAt },
  };
}

module.exports = { warm, create, get, list, update, remove, archiveDone, stats, ValidationError, NotFoundError };
