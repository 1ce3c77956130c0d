export {
  type ApiEnv,
  DEFAULT_APP_ORIGINS,
  EnvError,
  type EnvSource,
  MIN_TOKEN_LENGTH,
  readApiEnv,
  readSidecarEnv,
  type SidecarEnv,
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
  type ProblemFields,
  type ProblemSlug,
  type ProblemStatus,
  type ProblemTypeUri,
  problemResponse,
  problemTypeUri,
} from "./problem.ts";
export {
  problemNotFound,
  problemOnError,
  rejectMalformedJson,
} from "./problem-handlers.ts";
export {
  type ApiServer,
  type FetchHandler,
  PortInUseError,
  READY_LINE_PREFIX,
  serveApi,
} from "./serve.ts";
export { watchStdin } from "./watchdog.ts";
