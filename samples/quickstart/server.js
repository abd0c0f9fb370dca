// The quick start of the README: an ordinary Express 5 site, served the way Function Compute runs it.
const express = require('express');
const { fcRuntime, serve, currentContext } = require('express-fc-runtime');

const app = express();

app.use(
  fcRuntime({
    // Events (timer, OSS, direct invocations) arrive here; HTTP requests go to the routes below.
    invoke: async (event, context) => {
      context.logger.info('event of %d bytes', event.length);
      return { received: event.toString(), requestId: context.requestId };
    },
  }),
);

app.get('/', (req, res) => {
  console.log('home page for', req.ip); // written as an FC log line with this request's id
  res.type('html').send(`<h1>Hello from Function Compute</h1><p>Request ${req.fc.requestId}</p>`);
});

app.get('/api/time', async (req, res) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  res.json({ now: new Date().toISOString(), requestId: currentContext().requestId });
});

module.exports = app;

if (require.main === module) {
  const server = serve(app);
  server.on('listening', () => {
    const { port } = server.address();
    console.log(`Quick start site on http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
  });
}
