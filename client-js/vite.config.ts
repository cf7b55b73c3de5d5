import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);

/**
 * The stock guacamole-common-js build, unmodified. The CommonJS file is the plain
 * concatenated library (what the Apache web app loads as a classic script) plus a
 * final `module.exports = Guacamole;` line.
 */
const STOCK_LIBRARY = require.resolve('guacamole-common-js');
const VENDOR_PATH = 'vendor/guacamole-common.js';

/** Ships the stock library as dist/vendor/guacamole-common.js for stock-test.html. */
function stockLibrary(): Plugin {
  return {
    name: 'porthole-stock-guacamole',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: VENDOR_PATH, source: readFileSync(STOCK_LIBRARY) });
    },
    configureServer(server) {
      server.middlewares.use(`/${VENDOR_PATH}`, (_req, res) => {
        res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
        res.end(readFileSync(STOCK_LIBRARY));
      });
    },
  };
}

// `npm run dev` proxies the API and tunnel to a running gateway.
const gateway = process.env.PORTHOLE_DEV_GATEWAY ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // Relative asset URLs: the build works wherever the gateway mounts it.
  base: './',
  plugins: [stockLibrary()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    // No source maps by default: the gateway may embed dist/ in its binary.
    // `npx vite build --sourcemap` when debugging.
    sourcemap: false,
    // guacamole-common-js is ~500 kB unminified; one chunk is fine for this app.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
      '/websocket-tunnel': { target: gateway, ws: true, changeOrigin: false },
    },
  },
});
