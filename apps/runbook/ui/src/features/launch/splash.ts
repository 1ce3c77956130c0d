import type { LaunchState, LaunchStep } from "../../lib/bindings";
import { describeError, type ShellError, shellError } from "../../lib/errors";
import type { Platform } from "../../platform/types";
import { followLaunch } from "./followLaunch";

/** What the splash needs from the shell: start-up's state and changes, Retry and Quit. */
export type SplashShell = Pick<Platform, "launchState" | "onLaunchProgress" | "retryLaunch" | "quit">;

const statusLabel: Record<LaunchStep["status"], string> = {
  pending: "waiting",
  starting: "starting…",
  ready: "ready",
  failed: "failed",
};

/**
 * The start-up window, without React (it is the first page on screen and
 * shares two cores with the sidecars being started): each sidecar's progress,
 * or which one failed, its last lines, Retry and Quit. Renders into `root`
 * (the page's `<main data-testid="splash">`) on every change; returns the
 * function that stops following start-up.
 */
export function mountSplash(root: HTMLElement, shell: SplashShell): () => void {
  let state: LaunchState | null = null;
  let error: ShellError | null = null;

  const retry = async () => {
    try {
      const result = await shell.retryLaunch();
      error = result.status === "error" ? result.error : null;
    } catch (reason) {
      error = shellError(reason);
    }
    render();
  };
  const quit = () => {
    shell.quit().catch((reason: unknown) => {
      error = shellError(reason);
      render();
    });
  };

  const render = () => {
    root.className = "splash";
    root.dataset.testid = "splash";
    root.dataset.phase = state?.phase ?? "loading";
    const steps = element("ol", { className: "steps" }, ...(state?.steps ?? []).map(stepItem));
    const failure = state?.failure;
    const parts: Node[] = [element("h1", {}, "Runbook"), steps];
    if (failure) {
      const heading = element(
        "h2",
        {},
        element("span", { testid: "failed-sidecar" }, failure.sidecar),
        " could not start",
      );
      const section = element(
        "section",
        { className: "failure", testid: "launch-failure", role: "alert" },
        heading,
        element("p", { testid: "failure-reason" }, failure.reason),
      );
      if (failure.lastLines.length > 0) {
        section.append(
          element("pre", { className: "log-tail", testid: "failure-log" }, failure.lastLines.join("\n")),
        );
      }
      if (error) section.append(element("p", { className: "error" }, describeError(error)));
      section.append(
        element(
          "div",
          { className: "actions" },
          button("Retry", "retry", () => void retry()),
          button("Quit", "quit", quit),
        ),
      );
      parts.push(section);
    } else if (error) {
      parts.push(element("p", { className: "error", role: "alert" }, describeError(error)));
    }
    root.replaceChildren(...parts);
  };

  render();
  return followLaunch(
    shell,
    (next) => {
      state = next;
      render();
    },
    (reason) => {
      error = shellError(reason);
      render();
    },
  );
}

function stepItem(step: LaunchStep): HTMLElement {
  const status = statusLabel[step.status] + (step.elapsedMs !== null ? ` · ${step.elapsedMs} ms` : "");
  const item = element(
    "li",
    {},
    element("span", { className: "step-name" }, step.sidecar),
    element("span", { className: "step-status" }, status),
  );
  item.dataset.status = step.status;
  return item;
}

function button(label: string, testid: string, onClick: () => void): HTMLButtonElement {
  const node = element("button", { testid }, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

interface Attributes {
  className?: string;
  testid?: string;
  role?: string;
}

/** A new element with text set as text (never parsed as HTML). */
function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  { className, testid, role }: Attributes,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  if (role) node.setAttribute("role", role);
  node.append(...children);
  return node;
}
