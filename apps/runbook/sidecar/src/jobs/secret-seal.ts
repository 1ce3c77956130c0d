/**
 * How a run's secret values reach the worker without Valkey ever holding
 * them: the worker makes an X25519 key pair when it starts, keeps the private
 * key in its memory only, and publishes the public key (`WORKER_KEY`). The
 * api seals a job's secrets to that key (an ephemeral X25519 key of its own,
 * HKDF-SHA256, AES-256-GCM, the job id as associated data) and the queue
 * entry carries only the sealed box. Nothing in Valkey, nor anything a dump
 * of it holds, opens it; once the worker exits no key that could is left.
 * A box sealed for an earlier worker fails to open, and the job fails
 * saying so instead of running without its secrets.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";

/** The running worker's public key (base64 of its SPKI DER). */
export const WORKER_KEY = "runbook:worker:key";

const INFO = Buffer.from("runbook job secrets v1");
const SPKI_BYTES = 44;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface WorkerKeyPair {
  /** What goes to WORKER_KEY. */
  publicKey: string;
  privateKey: KeyObject;
}

export function generateWorkerKey(): WorkerKeyPair {
  const pair = generateKeyPairSync("x25519");
  return {
    publicKey: pair.publicKey.export({ format: "der", type: "spki" }).toString("base64"),
    privateKey: pair.privateKey,
  };
}

function keyFor(shared: Buffer, jobId: string): Buffer {
  return Buffer.from(hkdfSync("sha256", shared, Buffer.from(jobId), INFO, 32));
}

/** `values` sealed for the worker whose public key is `workerKey`, bound to the job. */
export function sealSecrets(
  workerKey: string,
  jobId: string,
  values: Readonly<Record<string, string>>,
): string {
  const recipient = createPublicKey({ key: Buffer.from(workerKey, "base64"), format: "der", type: "spki" });
  const ephemeral = generateKeyPairSync("x25519");
  const key = keyFor(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), jobId);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(jobId));
  const body = Buffer.concat([cipher.update(JSON.stringify(values), "utf8"), cipher.final()]);
  const spki = ephemeral.publicKey.export({ format: "der", type: "spki" });
  return Buffer.concat([spki, iv, cipher.getAuthTag(), body]).toString("base64");
}

/** The values in a box sealed for `privateKey` and this job, or null when it does not open. */
export function openSecrets(
  privateKey: KeyObject,
  jobId: string,
  sealed: string,
): Record<string, string> | null {
  try {
    const box = Buffer.from(sealed, "base64");
    const spki = box.subarray(0, SPKI_BYTES);
    const iv = box.subarray(SPKI_BYTES, SPKI_BYTES + IV_BYTES);
    const tag = box.subarray(SPKI_BYTES + IV_BYTES, SPKI_BYTES + IV_BYTES + TAG_BYTES);
    const body = box.subarray(SPKI_BYTES + IV_BYTES + TAG_BYTES);
    const sender = createPublicKey({ key: spki, format: "der", type: "spki" });
    const key = keyFor(diffieHellman({ privateKey, publicKey: sender }), jobId);
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(Buffer.from(jobId));
    decipher.setAuthTag(tag);
    const text = Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    const values: unknown = JSON.parse(text);
    if (typeof values !== "object" || values === null) return null;
    const entries = Object.entries(values).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    );
    return Object.fromEntries(entries);
  } catch {
    return null;
  }
}
