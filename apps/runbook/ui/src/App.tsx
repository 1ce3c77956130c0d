import { MainWindow } from "./features/app/MainWindow";
import { Splash } from "./features/launch/Splash";
import { SettingsWindow } from "./features/settings/SettingsWindow";
import type { Platform } from "./platform/types";

export function App({ platform, route }: { platform: Platform; route: string }) {
  if (route === "#/splash") return <Splash platform={platform} />;
  if (route === "#/settings") return <SettingsWindow platform={platform} />;
  return <MainWindow platform={platform} />;
}
