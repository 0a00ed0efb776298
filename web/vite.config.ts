import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist and served by Fastify (src/api/web.ts). Every asset is a file of this
// origin (no data: URI, no inline code), so the CSP can stay `'self'` without `unsafe-inline`.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
