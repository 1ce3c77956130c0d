import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: the same build serves the Tauri webview and a browser.
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ and current Chromium both run ES2022.
    target: "es2022",
    sourcemap: false,
    rollupOptions: {
      // Two pages: the app (React), and the splash window's small static page
      // (no React), which is on screen while the sidecars start.
      input: {
        main: fileURLToPath(new URL("index.html", import.meta.url)),
        splash: fileURLToPath(new URL("splash.html", import.meta.url)),
      },
      // What both pages share (the shell's bindings, the splash's renderer).
      output: { chunkFileNames: "assets/shared-[hash].js" },
    },
  },
  test: {
    environment: "happy-dom",
    include: ["test/**/*.test.{ts,tsx}"],
  },
});
