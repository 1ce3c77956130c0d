// SQL files are imported `with { type: "text" }`, so `bun build --compile` embeds them.
declare module "*.sql" {
  const sql: string;
  export default sql;
}
