// Added for Function Compute (server.js is unchanged): FC's initializer warms the cache before the
// first request, and events — a batch of OSS uploads, the nightly timer — go through the same service.
const tasks = require('./lib/tasks');

module.exports = {
  initialize: () => tasks.warm('initializer'),

  invoke: async (event, context) => {
    const payload = JSON.parse(event.toString() || '{}');
    await tasks.warm('event');
    if (Array.isArray(payload.events)) {
      // An OSS trigger: each uploaded object becomes a task to review.
      const created = [];
      for (const { eventName, oss } of payload.events) {
        if (!String(eventName).startsWith('ObjectCreated:')) continue;
        const task = await tasks.create({ title: `Review ${oss.object.key}`, tags: ['upload'] });
        created.push(task.id);
      }
      context.logger.info('queued %d of %d uploads for review', created.length, payload.events.length);
      return { created };
    }
    if (typeof payload.triggerName === 'string') {
      // A timer trigger: archive what is done.
      const archived = await tasks.archiveDone();
      context.logger.info('%s archived %d done tasks', payload.triggerName, archived);
      return { archived };
    }
    throw new Error('Unrecognised event: expected an OSS batch {"events": [...]} or a timer {"triggerName": ...}');
  },
};
