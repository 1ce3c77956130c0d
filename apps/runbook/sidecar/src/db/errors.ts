/**
 * Every way the database can be refused. They share a base class because the
 * entry point answers all of them the same way: exit code 4, retrying is pointless.
 */

export class DatabaseError extends Error {
  override readonly name: string = "DatabaseError";
}

export class DatabaseOpenError extends DatabaseError {
  override readonly name = "DatabaseOpenError";

  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot open database ${path}: ${reason}`);
  }
}

/** Written by a newer Runbook: opening it could corrupt data that version relies on. */
export class DatabaseTooNewError extends DatabaseError {
  override readonly name = "DatabaseTooNewError";

  constructor(
    readonly version: number,
    readonly latestKnown: number,
  ) {
    super(
      `database schema version ${version} is newer than this Runbook (knows up to ${latestKnown}); refusing to open it`,
    );
  }
}

/** The api never migrates by itself; the `migrate` role must run first. */
export class DatabaseOutdatedError extends DatabaseError {
  override readonly name = "DatabaseOutdatedError";

  constructor(
    readonly version: number,
    readonly required: number,
  ) {
    super(
      `database schema version ${version} is older than this Runbook needs (${required}); run the migrate role first`,
    );
  }
}

export class MigrationFailedError extends DatabaseError {
  override readonly name = "MigrationFailedError";

  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`migration ${file} failed and was rolled back: ${reason}`);
  }
}
