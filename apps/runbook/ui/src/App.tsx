import { MainWindow } from "./features/app/MainWindow";
import { Splash } from "./features/launch/Splash";
import type { Platform } from "./platform/types";

export function App({ platform, route }: { platform: Platform; route: string }) {
  return route === "#/splash" ? <Splash platform={platform} /> : <MainWindow platform={platform} />;
}
