/**
 * Does nothing. bench/coldstart.sh runs it under `bun` and compiled with
 * `bun build --compile`: the price of starting the Bun runtime alone.
 */
export {};
