// Builds the portal SPA into dist/web, served by Granary at /_admin/portal/ (src/http/portal-static.ts).
// Preact through the bundler's own JSX transform (no React plugin needed).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/_admin/portal/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // No inline scripts or modulepreload polyfill: the CSP has script-src 'self' only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  // `vite dev`: the API of a local `granary serve` (its portal listener; S3 stays on 9000).
  server: { proxy: { '/_admin/api': 'http://127.0.0.1:9001' } },
});
