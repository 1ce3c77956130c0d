export { type DriverSession, type DriverSessionOptions, openDriverSession } from "./driver.mjs";
export { freePort } from "./port.mjs";
export { type WaitOptions, waitFor } from "./wait.mjs";
