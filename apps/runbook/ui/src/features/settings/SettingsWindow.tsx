import { useEffect, useState } from "react";
import type { AppInfo } from "../../lib/bindings";
import { describeError, type ShellError, shellError } from "../../lib/errors";
import type { Platform } from "../../platform";

/**
 * The settings window. Its capability grants only `app_info` and closing
 * itself: it never holds the api token, and has no fs, shell or http access.
 */
export function SettingsWindow({ platform }: { platform: Platform }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<ShellError | null>(null);

  useEffect(() => {
    platform.appInfo().then(setInfo, (reason) => setError(shellError(reason)));
  }, [platform]);

  return (
    <div className="app settings" data-testid="settings">
      <h1>Settings</h1>
      {info && (
        <p className="muted" data-testid="settings-version">
          {info.name} {info.version} · Tauri {info.tauriVersion}
        </p>
      )}
      {error && (
        <p className="error" role="alert" data-testid="shell-error" data-error-type={error.type}>
          {describeError(error)}
        </p>
      )}
    </div>
  );
}
