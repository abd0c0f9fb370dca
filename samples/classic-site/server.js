// A guestbook as it runs on a VM: Express 4, EJS views, static files, a form, cookie sessions, 404 and error pages.
// On Function Compute it runs unchanged: its bootstrap starts it with `node -r express-fc-runtime/register`.
const path = require('path');
const express = require('express');
const cookieSession = require('cookie-session');

const app = express();

// The guestbook itself lives in memory: a real site would keep it in a database.
const entries = [{ name: 'Ada', message: 'First!', at: new Date('2024-01-01T09:00:00Z') }];
const MAX_MESSAGE = 500;

app.set('views', path.join(__dirname, 'views'));
app.set('view engine', 'ejs');

app.use((req, res, next) => {
  console.log('%s %s', req.method, req.url);
  next();
});
app.use(express.static(path.join(__dirname, 'public')));
app.use(express.urlencoded({ extended: false }));
app.use(
  cookieSession({
    name: 'guestbook',
    keys: (process.env.SESSION_KEYS || 'change me in production').split(','),
    maxAge: 7 * 24 * 60 * 60 * 1000,
  }),
);

// What every page shows: the visitor's name and a message left by the last form post.
app.use((req, res, next) => {
  req.session.visits = (req.session.visits || 0) + 1;
  res.locals.visitor = req.session.name;
  res.locals.visits = req.session.visits;
  res.locals.flash = req.session.flash;
  delete req.session.flash;
  next();
});

app.get('/', (req, res) => {
  res.render('index', { entries: entries.slice().reverse(), form: { name: req.session.name || '', message: '' }, error: undefined });
});

app.post('/sign', (req, res) => {
  const name = String(req.body.name || '').trim();
  const message = String(req.body.message || '').trim();
  let error;
  if (name === '' || message === '') error = 'Please give your name and a message.';
  else if (message.length > MAX_MESSAGE) error = `Messages are at most ${MAX_MESSAGE} characters.`;
  if (error) {
    res.status(422).render('index', { entries: entries.slice().reverse(), form: { name, message }, error });
    return;
  }
  entries.push({ name, message, at: new Date() });
  req.session.name = name;
  req.session.flash = `Thank you for signing, ${name}!`;
  res.redirect(303, '/');
});

app.get('/about', (req, res) => {
  res.render('about', { count: entries.length });
});

app.post('/forget', (req, res) => {
  req.session = null;
  res.redirect(303, '/');
});

// A page that fails, to show the error page.
app.get('/boom', () => {
  throw new Error('The guestbook broke on purpose');
});

app.use((req, res) => {
  res.status(404).render('404', { url: req.originalUrl });
});

// eslint-disable-next-line no-unused-vars -- Express tells an error handler by its four parameters
app.use((err, req, res, next) => {
  console.error(err.stack);
  res.status(500).render('error', { message: err.message });
});

module.exports = app;

if (require.main === module) {
  const server = app.listen(process.env.PORT || 3000, () => {
    console.log('Guestbook listening on port %d', server.address().port);
  });
}
