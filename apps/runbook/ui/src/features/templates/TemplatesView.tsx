import { useState } from "react";
import type { ApiClient, Job, Problem } from "../../lib/api/client";
import { describeError } from "../../lib/errors";
import type { Platform } from "../../platform";
import type { Template } from "./parameters";
import { RunForm } from "./RunForm";
import { TemplateEditor } from "./TemplateEditor";
import { useTemplates } from "./useTemplates";

type Mode = { kind: "run"; id: string } | { kind: "edit"; id: string } | { kind: "new" } | null;

/**
 * The templates: a list, an editor (each save a new version), and a run form per
 * template. Without a platform (or on one without a native dialog) paths are typed.
 */
export default function TemplatesView({
  api,
  onRan,
  platform,
}: {
  api: ApiClient;
  onRan: (job: Job) => void;
  platform?: Platform;
}) {
  const view = useTemplates(api);
  const [mode, setMode] = useState<Mode>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const current = mode && mode.kind !== "new" ? (view.templates.find((t) => t.id === mode.id) ?? null) : null;

  const save = (id: string | null, definition: Parameters<typeof view.create>[0]) =>
    id === null ? view.create(definition) : view.update(id, definition);
  const onSaved = (template: Template) => setMode({ kind: "run", id: template.id });

  const duplicate = async (id: string) => {
    const result = await view.duplicate(id);
    setProblem(result.ok ? null : result.problem);
    if (result.ok) setMode({ kind: "edit", id: result.value.id });
  };
  const remove = async (template: Template) => {
    if (!window.confirm(`Delete the template ${template.name}? Its runs stay.`)) return;
    const result = await view.remove(template.id);
    setProblem(result.ok ? null : result.problem);
    if (result.ok && current?.id === template.id) setMode(null);
  };

  const shownProblem = problem ?? view.problem;
  return (
    <section className="templates" data-testid="templates-view">
      <div className="templates-head">
        <h2>Templates</h2>
        <button type="button" data-testid="new-template" onClick={() => setMode({ kind: "new" })}>
          New template
        </button>
      </div>
      {shownProblem && (
        <p
          className="error"
          role="alert"
          data-testid="templates-problem"
          data-problem-type={shownProblem.type}
        >
          {describeError(shownProblem)}
        </p>
      )}
      {view.loading ? (
        <p className="muted">Loading templates…</p>
      ) : view.templates.length === 0 ? (
        <p className="muted" data-testid="templates-empty">
          No templates yet.
        </p>
      ) : (
        <ul className="template-list" data-testid="templates-list">
          {view.templates.map((template) => (
            <li
              key={template.id}
              data-testid="template"
              data-template-id={template.id}
              data-version={template.version}
              aria-current={template.id === current?.id}
            >
              <button
                type="button"
                className="template-select"
                onClick={() => setMode({ kind: "run", id: template.id })}
              >
                <strong className="template-name">{template.name}</strong>
                <span className="badge" data-testid="template-version">
                  v{template.version}
                </span>
                <code className="job-command">{template.command}</code>
              </button>
              <span className="template-actions">
                <button
                  type="button"
                  data-testid="edit-template"
                  onClick={() => setMode({ kind: "edit", id: template.id })}
                >
                  Edit
                </button>
                <button
                  type="button"
                  data-testid="duplicate-template"
                  onClick={() => void duplicate(template.id)}
                >
                  Duplicate
                </button>
                <button type="button" data-testid="delete-template" onClick={() => void remove(template)}>
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {mode?.kind === "new" && (
        <TemplateEditor
          key="new"
          template={null}
          save={save}
          onSaved={onSaved}
          onCancel={() => setMode(null)}
        />
      )}
      {mode?.kind === "edit" && current && (
        // Keyed by version: a saved edit starts the next from what the api holds.
        <TemplateEditor
          key={`${current.id}@${current.version}`}
          template={current}
          save={save}
          onSaved={onSaved}
          onCancel={() => setMode({ kind: "run", id: current.id })}
        />
      )}
      {mode?.kind === "run" && current && (
        <RunForm
          key={`${current.id}@${current.version}`}
          template={current}
          run={view.run}
          onRan={onRan}
          choosePath={platform?.choosePath}
        />
      )}
    </section>
  );
}
