// The entry point: plain ESM, so Node's tests import it as it is and Bun's
// benches and tests import it with the types in index.d.mts.
export { openDriverSession } from "./driver.mjs";
export { freePort } from "./port.mjs";
export { waitFor } from "./wait.mjs";
