export {
  type Backchannel,
  type BackchannelError,
  type BackchannelResult,
  type Broadcast,
  createBackchannel,
  type FocusWindow,
  type Notify,
  type OpenWindow,
} from "./backchannel.ts";
export {
  type ApiEnv,
  type BackchannelEnv,
  DEFAULT_APP_ORIGINS,
  EnvError,
  type EnvSource,
  MAX_UNIX_SOCKET_PATH_BYTES,
  MIN_TOKEN_LENGTH,
  MIN_VALKEY_PASSWORD_LENGTH,
  readApiEnv,
  readSidecarEnv,
  readWorkerEnv,
  type SidecarEnv,
  type ValkeyEnv,
  type WorkerEnv,
} from "./env.ts";
export { ExitCode } from "./exit-code.ts";
export {
  type ApiGuardOptions,
  apiGuard,
  DEFAULT_MAX_BODY_BYTES,
} from "./guard.ts";
export {
  LineLogger,
  type LogFields,
  type LogLevel,
  type LogValue,
  log,
} from "./log.ts";
export {
  createProblem,
  PROBLEM_CATALOG,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_URIS,
  type Problem,
  ProblemError,
  type ProblemFields,
  type ProblemSlug,
  type ProblemStatus,
  type ProblemTypeUri,
  problemResponse,
  problemTypeUri,
} from "./problem.ts";
export {
  problemNoRoute,
  problemNotFound,
  problemOnError,
  rejectMalformedJson,
} from "./problem-handlers.ts";
export { announceReady, READY_LINE } from "./ready.ts";
export { RespError, type RespValue } from "./resp.ts";
export {
  type ApiServer,
  type FetchHandler,
  PortInUseError,
  READY_LINE_PREFIX,
  serveApi,
} from "./serve.ts";
export {
  connectValkey,
  DEFAULT_RECONNECT,
  DEFAULT_VALKEY_TIMEOUT_MS,
  ValkeyAuthError,
  ValkeyConnection,
  ValkeyError,
  type ValkeyOptions,
  ValkeyReplyError,
  type ValkeyStatus,
  ValkeyUnavailableError,
} from "./valkey.ts";
export { watchStdin } from "./watchdog.ts";
