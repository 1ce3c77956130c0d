// The part of the `x11` package (node-x11) that bench/lib/screen.ts uses; it ships no types.
declare module "x11" {
  export interface DamageNotify {
    name: "DamageNotify";
    drawable: number;
    area: { x: number; y: number; w: number; h: number };
  }
  export interface DamageExtension {
    ReportLevel: { RawRectangles: 0; DeltaRectangles: 1; BoundingBox: 2; NonEmpty: 3 };
    Create(damage: number, drawable: number, level: number): void;
    Subtract(damage: number, repair: number, parts: number): void;
    Destroy(damage: number): void;
  }
  export interface XClient {
    AllocID(): number;
    require(name: "damage", callback: (error: Error | null, ext: DamageExtension) => void): void;
    on(event: "event", listener: (event: { name?: string } & Partial<DamageNotify>) => void): void;
    on(event: "error", listener: (error: Error) => void): void;
    terminate(): void;
  }
  export interface XDisplay {
    client: XClient;
    screen: { root: number }[];
  }
  export function createClient(
    options: { display?: string },
    callback: (error: Error | null, display: XDisplay) => void,
  ): void;
}
