// A stand-in for the Porthole gateway, written in plain Node, so the browser side
// (client-js pages, the stock test page, the harness) can be tested without the
// Rust binaries. It serves client-js/dist, a fake REST API and a minimal WebSocket
// tunnel that paints the same desktop as guacd-sim (solid #3366CC, a 64x64 white
// square at the origin).
//
// It is a test double, not a reference: where it and the Rust gateway disagree,
// the gateway's contract (docs) wins and this file should be fixed.

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * The strictest policy the client is meant to work under; the mock sends it with
 * every page so a regression (inline script, style attribute, foreign origin)
 * shows up as a console error in the tests. The real gateway may use it as is.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

// ---------------------------------------------------------------- Guacamole text

/** Encodes one instruction; lengths count code points. */
export function encodeInstruction(...elements) {
  return `${elements.map((e) => `${[...String(e)].length}.${e}`).join(',')};`;
}

/** Parses complete instructions (the browser sends exactly one per frame). */
export function parseInstructions(text) {
  const out = [];
  let i = 0;
  let elements = [];
  while (i < text.length) {
    const dot = text.indexOf('.', i);
    if (dot < 0) throw new Error(`bad instruction text: ${JSON.stringify(text)}`);
    const len = Number(text.slice(i, dot));
    const cps = [...text.slice(dot + 1)];
    const value = cps.slice(0, len).join('');
    elements.push(value);
    const endIndex = dot + 1 + value.length;
    const term = text[endIndex];
    i = endIndex + 1;
    if (term === ';') {
      out.push(elements);
      elements = [];
    } else if (term !== ',') {
      throw new Error(`bad terminator in ${JSON.stringify(text)}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGB PNG of the simulator desktop: #3366CC with a white 64x64 square at (0,0). */
export function simulatorPng(width, height) {
  const row = 1 + width * 3;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const o = y * row + 1 + x * 3;
      const white = x < 64 && y < 64;
      raw[o] = white ? 255 : 51;
      raw[o + 1] = white ? 255 : 102;
      raw[o + 2] = white ? 255 : 204;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------- WebSocket (server side)

class WsConnection {
  /** @param {import('node:net').Socket} socket */
  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.fragments = [];
    this.closed = false;
    this.onmessage = null;
    this.onclose = null;
    socket.on('data', (d) => this.#receive(d));
    socket.on('close', () => this.#closed());
    socket.on('error', () => this.#closed());
  }

  #closed() {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  #receive(data) {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const maskOff = off;
      if (masked) off += 4;
      if (b.length < off + len) return;
      const payload = Buffer.from(b.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] ^= b[maskOff + (i % 4)];
      this.buffer = b.subarray(off + len);

      if (opcode === 0x8) {
        this.close(1000, '');
        return;
      }
      if (opcode === 0x9) {
        this.#frame(0xa, payload);
        continue;
      }
      if (opcode === 0xa) continue;
      this.fragments.push(payload);
      if (fin) {
        const message = Buffer.concat(this.fragments).toString('utf8');
        this.fragments = [];
        this.onmessage?.(message);
      }
    }
  }

  #frame(opcode, payload) {
    if (this.closed) return;
    let header;
    if (payload.length < 126) {
      header = Buffer.from([0x80 | opcode, payload.length]);
    } else if (payload.length < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(payload.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    this.socket.write(Buffer.concat([header, payload]));
  }

  send(text) {
    this.#frame(0x1, Buffer.from(text, 'utf8'));
  }

  close(code = 1000, reason = '') {
    if (this.closed) return;
    const r = Buffer.from(reason, 'utf8');
    const p = Buffer.alloc(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.#frame(0x8, p);
    this.closed = true;
    this.socket.end();
    this.onclose?.();
  }
}

// ---------------------------------------------------------------- the mock gateway

/**
 * @param {{distDir: string, username?: string, password?: string,
 *          connections?: Array<{id: string, name: string, protocol: string}>,
 *          failures?: Record<string, {code: number, closeCode?: number}>}} options
 *   failures: connection ids whose tunnel is refused with that Guacamole status.
 *   drops: connection ids whose next N tunnels are cut (TCP reset, no close frame)
 *   shortly after the first frame, as a network failure would.
 *   clipboard: connection ids whose tunnel sends this text as the remote clipboard
 *   after the first frame (a `clipboard` stream on index 3).
 */
export async function startMockGateway({
  distDir,
  username = 'admin',
  password = 'correct horse',
  connections = [{ id: '1', name: 'Sim desktop', protocol: 'vnc' }],
  failures = {},
  drops = {},
  clipboard = {},
} = {}) {
  const dropsLeft = { ...drops };
  const tokens = new Set();
  const state = {
    /** Every REST request: {method, path, authorization}. */
    requests: [],
    /** Per tunnel: {query: URLSearchParams, uuid, received: string[][], protocol} */
    tunnels: [],
    /** Set to a number to answer the next sign-in with 429 + Retry-After. */
    lockoutSeconds: null,
    tokens,
  };

  function json(res, status, body, headers = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  }

  function bearer(req) {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return m && tokens.has(m[1]) ? m[1] : null;
  }

  async function readBody(req) {
    const parts = [];
    for await (const p of req) parts.push(p);
    return Buffer.concat(parts).toString('utf8');
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    state.requests.push({ method: req.method, path: url.pathname, authorization: req.headers.authorization ?? null });

    if (url.pathname === '/api/tokens' && req.method === 'POST') {
      let body = {};
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return json(res, 400, { error: 'request body must be JSON' });
      }
      if (state.lockoutSeconds !== null) {
        const s = state.lockoutSeconds;
        state.lockoutSeconds = null;
        return json(res, 429, { error: 'too many failed sign-ins; try again later' }, { 'Retry-After': String(s) });
      }
      if (body.username !== username || body.password !== password) {
        return json(res, 401, { error: 'invalid username or password' });
      }
      const token = randomUUID().replaceAll('-', '');
      tokens.add(token);
      const expires = new Date(Date.now() + 3600_000).toISOString();
      return json(res, 200, { token, username, expires_at: expires });
    }

    if (url.pathname === '/api/tokens/current' && req.method === 'DELETE') {
      const token = bearer(req);
      if (!token) return json(res, 401, { error: 'not signed in' });
      tokens.delete(token);
      res.writeHead(204);
      return res.end();
    }

    if (url.pathname === '/api/connections' && req.method === 'POST') {
      if (!bearer(req)) return json(res, 401, { error: 'not signed in' });
      let body = {};
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return json(res, 400, { error: 'request body must be JSON' });
      }
      const created = { id: String(connections.length + 1), name: body.name, protocol: body.protocol };
      connections.push(created);
      return json(res, 201, { ...created, parameters: body.parameters ?? {}, guacd: body.guacd ?? null });
    }

    if (url.pathname === '/api/connections' && req.method === 'GET') {
      if (!bearer(req)) return json(res, 401, { error: 'not signed in' });
      return json(res, 200, connections);
    }

    // The live session behind a tunnel (what the session view asks once connected):
    // a session without sharing profiles, so no Sharing menu appears.
    const tunnelSession = /^\/api\/tunnels\/([^/]+)\/session$/.exec(url.pathname);
    if (tunnelSession && req.method === 'GET') {
      if (!bearer(req)) return json(res, 401, { error: 'not signed in' });
      const t = state.tunnels.find((r) => r.uuid === tunnelSession[1]);
      if (!t) return json(res, 404, { error: 'no live session for this tunnel' });
      const c = connections.find((x) => x.id === t.query.get('GUAC_ID'));
      return json(res, 200, {
        id: `session-${t.uuid}`,
        connection_id: c?.id ?? '',
        connection_name: c?.name ?? '',
        protocol: c?.protocol ?? '',
        user_id: 'user-admin',
        username,
        remote_addr: '127.0.0.1',
        upstream_id: `$${t.uuid}`,
        started_at: Date.now(),
        owner_connected: true,
        viewers: [],
        links: [],
        sharing_profiles: [],
      });
    }

    if (url.pathname.startsWith('/api/')) return json(res, 404, { error: 'no such route' });

    // Static files from client-js/dist.
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(distDir, path.normalize(rel));
    if (!file.startsWith(distDir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, {
      'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
    });
    createReadStream(file).pipe(res);
  });

  const upgraded = new Set();
  server.on('upgrade', (req, socket) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    const url = new URL(req.url, 'http://localhost');
    const key = req.headers['sec-websocket-key'];
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim());
    if (url.pathname !== '/websocket-tunnel' || !key || !protocols.includes('guacamole')) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: guacamole\r\n\r\n`,
    );
    const ws = new WsConnection(socket);
    const query = url.searchParams;
    const record = { query, uuid: randomUUID(), received: [], origin: req.headers.origin ?? null, closed: false };
    state.tunnels.push(record);
    ws.onclose = () => {
      record.closed = true;
    };

    const token = query.get('token');
    const id = query.get('GUAC_ID');
    if (!token || !tokens.has(token)) {
      ws.close(1008, String(0x0301));
      return;
    }
    if (id && failures[id]) {
      ws.close(failures[id].closeCode ?? 1011, String(failures[id].code));
      return;
    }
    if (!connections.some((c) => c.id === id)) {
      ws.close(1002, String(0x0204));
      return;
    }

    ws.send(encodeInstruction('', record.uuid));

    const width = Number(query.get('GUAC_WIDTH')) || 1024;
    const height = Number(query.get('GUAC_HEIGHT')) || 768;
    let timestamp = 1000;
    const paint = (w, h) => {
      const b64 = simulatorPng(w, h).toString('base64');
      let text = encodeInstruction('size', 0, w, h);
      text += encodeInstruction('img', 1, 14, 0, 'image/png', 0, 0);
      for (let i = 0; i < b64.length; i += 8064) text += encodeInstruction('blob', 1, b64.slice(i, i + 8064));
      text += encodeInstruction('end', 1);
      text += encodeInstruction('sync', (timestamp += 16), 1);
      ws.send(text);
    };
    paint(width, height);
    if (clipboard[id] !== undefined) {
      ws.send(
        encodeInstruction('clipboard', 3, 'text/plain') +
          encodeInstruction('blob', 3, Buffer.from(clipboard[id], 'utf8').toString('base64')) +
          encodeInstruction('end', 3),
      );
    }
    if (dropsLeft[id] > 0) {
      dropsLeft[id] -= 1;
      setTimeout(() => socket.destroy(), 300);
    }

    ws.onmessage = (text) => {
      let instructions;
      try {
        instructions = parseInstructions(text);
      } catch {
        ws.close(1002, String(0x0300));
        return;
      }
      for (const [opcode, ...args] of instructions) {
        record.received.push([opcode, ...args]);
        if (opcode === '' && args[0] === 'ping') ws.send(encodeInstruction('', 'ping', args[1]));
        else if (opcode === 'size') paint(Number(args[0]), Number(args[1]));
        else if (opcode === 'disconnect') ws.close(1000, '0');
      }
    };
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    async stop() {
      for (const s of upgraded) s.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
