// A chat room: an Express site and a WebSocket server (ws) on one HTTP server, as it runs on a VM.
// Everyone connected to /chat sees everyone's messages. Nothing here knows about Function Compute.
const express = require('express');
const http = require('http');
const path = require('path');
const { WebSocketServer, WebSocket } = require('ws');

const MAX_TEXT = 500;

const app = express();
app.use(express.static(path.join(__dirname, 'public')));
app.get('/who', (req, res) => {
  res.json({ online: [...wss.clients].map((ws) => ws.name) });
});

const server = http.createServer(app);
const wss = new WebSocketServer({ server, path: '/chat' });

function broadcast(event) {
  const text = JSON.stringify(event);
  for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(text);
}

wss.on('connection', (ws, req) => {
  const name = (new URL(req.url, 'http://localhost').searchParams.get('name') || 'anonymous').slice(0, 40);
  ws.name = name;
  console.log(`${name} joined (${wss.clients.size} online)`);
  broadcast({ type: 'joined', name });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return; // a chat of text
    const text = String(data).slice(0, MAX_TEXT);
    console.log(`${name} says: ${text}`);
    broadcast({ type: 'message', name, text });
  });
  ws.on('close', (code) => {
    console.log(`${name} left (${code})`);
    broadcast({ type: 'left', name });
  });
});

if (require.main === module) {
  const port = Number(process.env.PORT) || 3000;
  server.listen(port, () => console.log(`chat on http://localhost:${port}/`));
}

module.exports = { app, server };
