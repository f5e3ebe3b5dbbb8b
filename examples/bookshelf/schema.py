"""Schema migrations: numbered plain SQL files, applied once each, at startup, in order.

`migrations/<dialect>/NNNN_what.sql` holds the DDL for each backend (DDL is where SQLite
and PostgreSQL differ: identity columns, types). The `schema_version` table records
which numbers were applied. Every pending file runs in one transaction, so a failed
migration leaves the schema as it was, and the server refuses to start.

Several granian workers (or machines) boot at once: the first to take the lock applies
the files, the others wait for it and then find nothing left to do. On SQLite the lock
is the write lock `BEGIN IMMEDIATE` takes; on PostgreSQL a transaction-scoped advisory
lock.
"""

from __future__ import annotations

from pathlib import Path

from .database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed 64-bit number: the advisory lock that serialises migrating processes.
POSTGRES_MIGRATION_LOCK = 0x_B00C_5E1F

CREATE_SCHEMA_VERSION = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""


def migration_files(dialect: str, migrations: Path = MIGRATIONS) -> list[tuple[int, Path]]:
    """(version, file) for every migration of `dialect`, in version order."""
    files = migrations.glob(f"{dialect}/*.sql")
    return sorted((int(path.name.split("_", 1)[0]), path) for path in files)


async def migrate(database: Database, migrations: Path = MIGRATIONS) -> list[str]:
    """Apply the pending migrations found below `migrations` (this app's by default);
    return the names of those this call applied."""
    applied: list[str] = []
    async with database.transaction() as tx:
        if database.dialect == "postgresql":
            await tx.execute("SELECT pg_advisory_xact_lock($1)", POSTGRES_MIGRATION_LOCK)
        await tx.execute(CREATE_SCHEMA_VERSION)
        row = await tx.fetch_one("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        current = row[0] if row else 0
        for version, path in migration_files(database.dialect, migrations):
            if version > current:
                await tx.execute_script(path.read_text())
                await tx.execute(
                    "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                    version,
                    path.stem,
                )
                applied.append(path.stem)
    return applied
