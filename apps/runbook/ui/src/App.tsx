import { MainWindow } from "./features/app/MainWindow";
import { SettingsWindow } from "./features/settings/SettingsWindow";
import type { Platform } from "./platform/types";

/** The React windows; the splash is a static page of its own (`splash.html`, `src/splash`). */
export function App({ platform, route }: { platform: Platform; route: string }) {
  if (route === "#/settings") return <SettingsWindow platform={platform} />;
  return <MainWindow platform={platform} />;
}
