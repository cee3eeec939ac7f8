import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// During `npm run dev`, API calls go to a running `proxicloud serve` (default port).
const apiTarget = process.env.PROXICLOUD_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [svelte()],
  build: {
    target: 'es2022',
    // Hashed file names under assets/ let the server cache them forever.
    assetsDir: 'assets',
    reportCompressedSize: true,
  },
  server: {
    // `ws`: the instance consoles are websockets.
    proxy: { '/api': { target: apiTarget, changeOrigin: false, ws: true } },
  },
});
