// The splash window's page (splash.html): start-up's progress, without React.
import { mountSplash } from "../features/launch/splash";
import { tauriPlatform } from "../platform/tauri";
import "../styles.css";

const root = document.querySelector<HTMLElement>('[data-testid="splash"]');
if (!root) throw new Error("splash.html has no splash element");
mountSplash(root, tauriPlatform);
