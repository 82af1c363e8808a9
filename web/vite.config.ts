import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The reference app: built into web/dist and served by the API at /app (src/http/web-app.ts), so it
// calls /graphql on its own origin. `npm run web:dev` serves it on http://localhost:5173 (the origin
// CORS_ORIGINS allows by default in development) against the API at VITE_API_URL.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  plugins: [react()],
  server: { port: 5173, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
});
