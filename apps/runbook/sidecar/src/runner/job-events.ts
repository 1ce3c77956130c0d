/**
 * The commands that report a job: its events on JOB_EVENTS, the end of its
 * output, its acknowledgement on the queue, and its record in JOB_RUNNING.
 */
import {
  encodeJobEvent,
  JOB_EVENTS,
  JOB_EVENTS_MAXLEN,
  JOB_QUEUE,
  JOB_QUEUE_GROUP,
  JOB_RUNNING,
  type JobEvent,
  type JobFailure,
  type JobOutcome,
} from "../jobs/queue.ts";

/** The one consumer of the group: one worker runs per launch. */
export const JOB_QUEUE_CONSUMER = "worker";

export function eventCommand(event: JobEvent): string[] {
  return ["XADD", JOB_EVENTS, "MAXLEN", "~", String(JOB_EVENTS_MAXLEN), "*", ...encodeJobEvent(event)];
}

export function ackCommand(entryId: string): string[] {
  return ["XACK", JOB_QUEUE, JOB_QUEUE_GROUP, entryId];
}

export function forgetRunningCommand(jobId: string): string[] {
  return ["HDEL", JOB_RUNNING, jobId];
}

export interface Finish {
  outcome: JobOutcome;
  exitCode: number | null;
  reason: string | null;
  /** Why it failed, when its exit code does not say. */
  failure?: JobFailure;
  /** Output bytes the run's cap dropped; absent when it never ran. */
  droppedOutputBytes?: number;
}

/** The job's `finished` event, then its queue entry's acknowledgement, in that order. */
export function finishCommands(jobId: string, entryId: string, finish: Finish, at = new Date()): string[][] {
  return [
    eventCommand({ type: "finished", id: jobId, at: at.toISOString(), ...finish }),
    ackCommand(entryId),
    forgetRunningCommand(jobId),
  ];
}

/** What a job's exit status means when nothing else ended it. */
export function finishFromExit(exitCode: number | null, signalCode: string | null): Finish {
  if (exitCode === 0) return { outcome: "succeeded", exitCode: 0, reason: null };
  if (exitCode !== null) return { outcome: "failed", exitCode, reason: null };
  return { outcome: "failed", exitCode: null, reason: `killed by ${signalCode ?? "a signal"}` };
}
