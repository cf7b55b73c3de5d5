// guacamole-lite 1.2 as a comparison relay for porthole-bench (tests/src/bench/).
//
// Listens on 127.0.0.1 (a free port), relays to the guacd at GUACD_HOST:GUACD_PORT,
// and prints exactly one line on stdout once listening:
//   listening on ws://127.0.0.1:<port>/?token=<token>
// The token is what guacamole-lite requires: the connection settings as JSON,
// AES-256-CBC encrypted with this process's random key, then {iv, value} as base64
// JSON, base64 again. Add &width=…&height=… for the screen size. Logging is off and
// the inactivity timeout disabled, so idle tunnels stay open.
'use strict';

const http = require('http');
const crypto = require('crypto');
const GuacamoleLite = require('guacamole-lite');

const key = crypto.randomBytes(16).toString('hex'); // 32 characters: AES-256
const guacd = {
  host: process.env.GUACD_HOST || '127.0.0.1',
  port: Number(process.env.GUACD_PORT || 4822),
};

function token(settings) {
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('AES-256-CBC', key, iv);
  const value = Buffer.concat([cipher.update(JSON.stringify(settings), 'utf8'), cipher.final()]);
  const wrapped = JSON.stringify({ iv: iv.toString('base64'), value: value.toString('base64') });
  return Buffer.from(wrapped).toString('base64');
}

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});

// eslint-disable-next-line no-new
new GuacamoleLite(
  { server },
  guacd,
  {
    crypt: { cypher: 'AES-256-CBC', key },
    maxInactivityTime: 0,
    log: { level: 0, stdLog: () => {}, errorLog: (...a) => console.error(...a) },
    connectionDefaultSettings: {
      vnc: {
        image: ['image/png', 'image/jpeg', 'image/webp'],
        audio: [],
        timezone: 'UTC',
      },
    },
  },
);

// guacamole-lite prints a line per new connection with console.log: keep stdout for
// the address line only.
const write = process.stdout.write.bind(process.stdout);
console.log = () => {};

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const t = token({ connection: { type: 'vnc', settings: { hostname: '127.0.0.1', port: '5900' } } });
  write(`listening on ws://127.0.0.1:${port}/?token=${encodeURIComponent(t)}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}
