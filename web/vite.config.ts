import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { onlyUsedIcons } from './only-used-icons.ts';

const reactDsfr = fileURLToPath(new URL('../node_modules/@codegouvfr/react-dsfr/', import.meta.url));

// Built into web/dist and served by Fastify (src/api/web.ts). Every asset is a file of this
// origin (no data: URI, no inline code), so the CSP can stay `'self'` without `unsafe-inline`.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react(), onlyUsedIcons([`${import.meta.dirname}/src`, reactDsfr])],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      '/api': {
        target: 'http://127.0.0.1:3000',
        // The dev server stands in for Rempart's own origin: the API refuses writes that name another.
        configure: (proxy) =>
          proxy.on('proxyReq', (request) => {
            request.removeHeader('origin');
            request.removeHeader('referer');
          }),
      },
    },
  },
});
