import { QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { JobDetail } from "../src/features/jobs/JobDetail";
import { attemptLabel, JobReport, progressLabel } from "../src/features/jobs/JobReport";
import { createApiClient, type Job } from "../src/lib/api/client";
import { createQueryClient } from "../src/lib/api/query";

afterEach(cleanup);

const none = { progress: null, progressSteps: null, statusLine: null };

describe("progressLabel and attemptLabel", () => {
  it("says a percentage, with the steps when the job gave them", () => {
    expect(progressLabel(none)).toBeNull();
    expect(progressLabel({ progress: 42, progressSteps: null })).toBe("42%");
    expect(progressLabel({ progress: 100 / 3, progressSteps: { done: 1, total: 3 } })).toBe("1 of 3 (33.3%)");
  });

  it("names the attempt of a run with retries, or of a retry, and nothing for a lone run", () => {
    expect(attemptLabel({ attempt: 2, maxAttempts: 3 })).toBe("attempt 2 of 3");
    expect(attemptLabel({ attempt: 1, maxAttempts: 3 })).toBe("attempt 1 of 3");
    expect(attemptLabel({ attempt: 2, maxAttempts: 1 })).toBe("attempt 2");
    expect(attemptLabel({ attempt: 1, maxAttempts: 1 })).toBeNull();
  });
});

describe("JobReport", () => {
  it("shows nothing before the job reports anything", () => {
    const { container } = render(<JobReport job={none} />);
    expect(container.innerHTML).toBe("");
  });

  it("shows the progress bar, its steps, and the status line under it", () => {
    render(
      <JobReport
        job={{ progress: 37.5, progressSteps: { done: 3, total: 8 }, statusLine: "Copying files" }}
      />,
    );
    const bar = screen.getByTestId("job-progress");
    expect(bar.getAttribute("value")).toBe("37.5");
    expect(bar.getAttribute("aria-label")).toBe("Progress");
    expect(screen.getByTestId("job-progress-label").textContent).toBe("3 of 8 (37.5%)");
    const status = screen.getByTestId("job-status-line");
    expect(status.textContent).toBe("Copying files");
    expect(status.getAttribute("aria-live")).toBe("polite");
    // Under the bar.
    expect(bar.compareDocumentPosition(status) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("shows a status line alone when the job reported no progress", () => {
    render(<JobReport job={{ ...none, statusLine: "Waiting for the lock" }} />);
    expect(screen.queryByTestId("job-progress")).toBeNull();
    expect(screen.getByTestId("job-status-line").textContent).toBe("Waiting for the lock");
  });
});

describe("JobDetail", () => {
  /** An api whose job has ended with `chunks` as its output, all stored as lines. */
  function endedApi(chunks: { stream: "stdout" | "stderr"; text: string }[]) {
    const lines = chunks.map((chunk, n) => ({
      n,
      stream: chunk.stream,
      text: chunk.text.replace(/\n$/, ""),
    }));
    const fetchImpl = async (request: Request) => {
      const url = new URL(request.url);
      const body = url.pathname.endsWith("/lines")
        ? { lines, total: lines.length, complete: true, truncated: false }
        : { chunks, cursor: "1-0", end: true };
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    };
    return createApiClient({ baseUrl: "http://127.0.0.1:1", token: "t" }, fetchImpl as typeof fetch);
  }

  function renderDetail(job: Job, onOpenFirstAttempt?: () => void) {
    const client = createQueryClient();
    return render(
      <QueryClientProvider client={client}>
        <JobDetail
          api={endedApi([
            { stream: "stdout", text: "out\n" },
            { stream: "stderr", text: "err\n" },
          ])}
          job={job}
          cancel={async () => null}
          onOutputEnded={() => {}}
          onOpenFirstAttempt={onOpenFirstAttempt}
        />
      </QueryClientProvider>,
    );
  }

  const ended = {
    id: "b",
    name: "make",
    command: "make",
    status: "failed",
    exitCode: 2,
    progress: 100,
    progressSteps: { done: 4, total: 4 },
    statusLine: "Linking",
    reason: null,
    createdAt: "2026-12-01T00:00:00.000Z",
    startedAt: "2026-12-01T00:00:01.000Z",
    finishedAt: "2026-12-01T00:00:02.000Z",
    attempt: 2,
    maxAttempts: 3,
    retryOf: "a",
  } as Job;

  it("shows the attempt, the report, stderr marked, and opens the first attempt", async () => {
    let opened = 0;
    renderDetail(ended, () => {
      opened += 1;
    });
    expect(screen.getByTestId("job-attempt").textContent).toBe("attempt 2 of 3");
    expect(screen.getByTestId("job-progress-label").textContent).toBe("4 of 4 (100%)");
    expect(screen.getByTestId("job-status-line").textContent).toBe("Linking");
    await waitFor(() => expect(screen.getByTestId("job-output").textContent).toBe("out\nerr\n"));
    const stderr = screen.getByTestId("job-output").querySelector(".output-stderr");
    expect(stderr?.textContent).toBe("err\n");
    expect(stderr?.getAttribute("title")).toBe("stderr");
    expect(stderr?.getAttribute("data-line")).toBe("2");
    expect(screen.getByTestId("output-key")).toBeTruthy();
    fireEvent.click(screen.getByTestId("job-first-attempt"));
    expect(opened).toBe(1);
  });

  it("a lone run names no attempt and links nowhere", async () => {
    renderDetail({ ...ended, attempt: 1, maxAttempts: 1, retryOf: null, statusLine: null });
    expect(screen.queryByTestId("job-attempt")).toBeNull();
    expect(screen.queryByTestId("job-first-attempt")).toBeNull();
    expect(screen.queryByTestId("job-status-line")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("job-output").getAttribute("data-ended")).toBe("true"));
  });
});
