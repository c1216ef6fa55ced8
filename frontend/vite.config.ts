/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

// The backend the dev server forwards /api and /metrics to.
const backend = process.env.BACKEND_URL ?? "http://127.0.0.1:8123";

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/metrics": { target: backend, changeOrigin: false },
      "/openapi.json": { target: backend, changeOrigin: false },
    },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    // Keeps every style in a file (a strict CSP allows style-src 'self' only).
    cssCodeSplit: true,
    // NiiVue is large; it is loaded only on the skin segmentation page.
    chunkSizeWarningLimit: 1500,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/testing/setup.ts"],
    css: false,
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
