//! `tora-dev migrate`: applies `migrations/NNNN_name.sql` in order, each exactly once.
//!
//! Each file runs in its own transaction together with the row that records it in
//! `schema_migrations`, so a file is either fully applied and recorded or not at all
//! (a statement that cannot run inside a transaction, like `CREATE INDEX CONCURRENTLY`,
//! does not belong in a migration here). Running again skips what is recorded.
//!
//! Migrations are forward-only and immutable: the runner refuses to continue when an
//! applied file changed (its checksum differs), when an applied migration's file is gone,
//! when a new file is numbered below one already applied, and when numbers repeat or skip.
//! Each of those means the checkout and the database disagree about history, which a
//! person has to resolve.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The number, as written: `0001`.
    pub version: String,
    /// The file name without `.sql`: `0001_core_schema`.
    pub name: String,
    pub path: PathBuf,
    pub sql: String,
    /// SHA-256 of the file's bytes, in hex.
    pub checksum: String,
}

/// A row of `schema_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: String,
    pub name: String,
    pub checksum: String,
}

const CREATE_TABLE: &str = "create table if not exists schema_migrations (
    version text primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
)";

/// Applies the pending migrations in `dir` and returns their names, in order.
pub async fn run(database_url: &str, dir: &Path) -> anyhow::Result<Vec<String>> {
    // Read and check the files before touching the database.
    let migrations = list(dir)?;
    let (mut client, connection) = connect(database_url).await?;

    client.batch_execute(CREATE_TABLE).await?;
    let applied = client
        .query(
            "select version, name, checksum from schema_migrations order by version",
            &[],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(Applied {
                version: row.try_get(0)?,
                name: row.try_get(1)?,
                checksum: row.try_get(2)?,
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;

    let mut newly_applied = Vec::new();
    for migration in pending(&migrations, &applied)? {
        let tx = client.transaction().await?;
        // The simple protocol, so one file can hold many statements.
        tx.batch_execute(&migration.sql)
            .await
            .map_err(|e| failure(migration, &e))?;
        // The primary key also stops a second runner racing this one: its insert fails
        // and its transaction, DDL included, rolls back.
        tx.execute(
            "insert into schema_migrations (version, name, checksum) values ($1, $2, $3)",
            &[&migration.version, &migration.name, &migration.checksum],
        )
        .await
        .map_err(|e| failure(migration, &e))?;
        tx.commit().await.map_err(|e| failure(migration, &e))?;
        println!("applied {}", migration.name);
        newly_applied.push(migration.name.clone());
    }
    if newly_applied.is_empty() {
        println!("up to date");
    }

    drop(client);
    // The connection task ends once the client is gone; its error, if any, was already
    // reported through the failing call.
    let _ = connection.await;
    Ok(newly_applied)
}

/// Connects as the URL asks: over TLS, verified against the Mozilla roots, with
/// `sslmode=require` (Neon's connection strings, which the deploy migrates with), and in
/// plain text otherwise (the local Postgres). Returns the client and the task that
/// drives its connection.
async fn connect(
    database_url: &str,
) -> anyhow::Result<(
    tokio_postgres::Client,
    tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
)> {
    // The URL holds a password: no error here repeats it.
    let config: tokio_postgres::Config = database_url
        .parse()
        .map_err(|e| anyhow::anyhow!("the database URL is not a Postgres URL: {e}"))?;
    let unreachable =
        |e: tokio_postgres::Error| anyhow::anyhow!("could not connect to the database: {e}");
    if config.get_ssl_mode() == SslMode::Require {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let (client, connection) = config
            .connect(MakeRustlsConnect::new(tls))
            .await
            .map_err(unreachable)?;
        Ok((client, tokio::spawn(connection)))
    } else {
        let (client, connection) = config.connect(NoTls).await.map_err(unreachable)?;
        Ok((client, tokio::spawn(connection)))
    }
}

/// Says which migration failed and, for a Postgres error, everything Postgres said.
fn failure(migration: &Migration, error: &tokio_postgres::Error) -> anyhow::Error {
    let Some(db) = error.as_db_error() else {
        return anyhow::anyhow!("migration {} failed: {error}", migration.name);
    };
    let mut message = format!(
        "migration {} failed: {} (SQLSTATE {})",
        migration.name,
        db.message(),
        db.code().code()
    );
    if let Some(detail) = db.detail() {
        message.push_str(&format!("\n  detail: {detail}"));
    }
    if let Some(hint) = db.hint() {
        message.push_str(&format!("\n  hint: {hint}"));
    }
    if let Some(tokio_postgres::error::ErrorPosition::Original(position)) = db.position() {
        message.push_str(&format!(
            "\n  at character {position} of {}",
            migration.path.display()
        ));
    }
    anyhow::anyhow!(message)
}

/// Reads the migration files in `dir`, ordered by number. Only `*.sql` files count (a
/// README can sit beside them); each must be named `NNNN_name.sql` with lowercase
/// letters, digits and underscores, and the numbers must run 0001, 0002, ... without
/// repeats or gaps.
pub fn list(dir: &Path) -> anyhow::Result<Vec<Migration>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("could not read {}: {e}", dir.display()))?;
    let mut by_version: BTreeMap<String, Migration> = BTreeMap::new();
    for entry in entries {
        let path = entry?.path();
        let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let Some(name) = file_name.strip_suffix(".sql") else {
            continue;
        };
        let version = parse_name(name).ok_or_else(|| {
            anyhow::anyhow!(
                "{file_name}: a migration must be named NNNN_name.sql (four digits, then lowercase letters, digits and underscores)"
            )
        })?;
        let bytes = std::fs::read(&path)
            .map_err(|e| anyhow::anyhow!("could not read {}: {e}", path.display()))?;
        let checksum = hex(&Sha256::digest(&bytes));
        let sql =
            String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{file_name} is not UTF-8"))?;
        let migration = Migration {
            version: version.to_string(),
            name: name.to_string(),
            path: path.clone(),
            sql,
            checksum,
        };
        if let Some(other) = by_version.insert(version.to_string(), migration) {
            anyhow::bail!(
                "two migrations are numbered {version}: {} and {name}",
                other.name
            );
        }
    }
    for (expected, version) in (1..).zip(by_version.keys()) {
        if *version != format!("{expected:04}") {
            anyhow::bail!(
                "migration numbers must run 0001, 0002, ... without gaps: expected {expected:04}, found {version}"
            );
        }
    }
    Ok(by_version.into_values().collect())
}

/// The version of a `NNNN_name` stem, or `None` when it is not one.
fn parse_name(stem: &str) -> Option<&str> {
    let (version, name) = stem.split_once('_')?;
    let valid_version = version.len() == 4 && version.bytes().all(|b| b.is_ascii_digit());
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    (valid_version && valid_name).then_some(version)
}

/// The migrations still to apply, after checking that the files agree with what the
/// database recorded.
pub fn pending<'a>(
    migrations: &'a [Migration],
    applied: &[Applied],
) -> anyhow::Result<Vec<&'a Migration>> {
    let files: BTreeMap<&str, &Migration> = migrations
        .iter()
        .map(|migration| (migration.version.as_str(), migration))
        .collect();
    for record in applied {
        let Some(file) = files.get(record.version.as_str()) else {
            anyhow::bail!(
                "{} is recorded as applied but its file is missing: the database is ahead of this checkout",
                record.name
            );
        };
        if file.name != record.name {
            anyhow::bail!(
                "migration {} was applied as {} but the file is now {}: never rename an applied migration",
                record.version,
                record.name,
                file.name
            );
        }
        if file.checksum != record.checksum {
            anyhow::bail!(
                "{} changed after it was applied (checksum {} in the database, {} on disk): never edit an applied migration, add a new one",
                record.name,
                record.checksum,
                file.checksum
            );
        }
    }
    let latest_applied = applied.iter().map(|record| record.version.as_str()).max();
    let pending: Vec<&Migration> = migrations
        .iter()
        .filter(|migration| {
            !applied
                .iter()
                .any(|record| record.version == migration.version)
        })
        .collect();
    if let (Some(latest), Some(first)) = (latest_applied, pending.first())
        && first.version.as_str() < latest
    {
        anyhow::bail!(
            "{} is not applied but {latest} already is: migrations must be applied in order",
            first.name
        );
    }
    Ok(pending)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A fresh directory under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn with_files(files: &[(&str, &str)]) -> Self {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "tora-migrate-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).unwrap();
            for (name, contents) in files {
                std::fs::write(path.join(name), contents).unwrap();
            }
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn names(migrations: &[Migration]) -> Vec<&str> {
        migrations.iter().map(|m| m.name.as_str()).collect()
    }

    fn error(result: anyhow::Result<impl std::fmt::Debug>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn files_are_listed_in_number_order_and_other_files_are_ignored() {
        let dir = TempDir::with_files(&[
            ("0002_add_sets.sql", "alter table t add column sets int;"),
            ("README.md", "how to write migrations"),
            ("0001_core_schema.sql", "create table t (id int);"),
        ]);
        let migrations = list(&dir.0).unwrap();
        assert_eq!(names(&migrations), ["0001_core_schema", "0002_add_sets"]);
        assert_eq!(migrations[0].version, "0001");
        assert_eq!(migrations[0].sql, "create table t (id int);");
        assert_eq!(
            migrations[0].checksum,
            hex(&Sha256::digest(b"create table t (id int);"))
        );
        assert_eq!(migrations[0].checksum.len(), 64);
    }

    #[test]
    fn an_empty_directory_has_no_migrations() {
        let dir = TempDir::with_files(&[]);
        assert!(list(&dir.0).unwrap().is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let message = error(list(Path::new("/nonexistent/tora-migrations")));
        assert!(
            message.contains("/nonexistent/tora-migrations"),
            "{message}"
        );
    }

    #[test]
    fn badly_named_sql_files_are_refused() {
        for name in [
            "1_short.sql",
            "00001_five_digits.sql",
            "0001-dash.sql",
            "0001_.sql",
            "0001_Upper.sql",
            "core_schema.sql",
        ] {
            let dir = TempDir::with_files(&[(name, "select 1;")]);
            let message = error(list(&dir.0));
            assert!(message.contains("NNNN_name.sql"), "{name}: {message}");
        }
    }

    #[test]
    fn duplicate_numbers_are_refused() {
        let dir = TempDir::with_files(&[
            ("0001_core.sql", "select 1;"),
            ("0001_other.sql", "select 2;"),
        ]);
        let message = error(list(&dir.0));
        assert!(
            message.starts_with("two migrations are numbered 0001"),
            "{message}"
        );
    }

    #[test]
    fn gaps_in_numbering_are_refused() {
        let dir = TempDir::with_files(&[
            ("0001_core.sql", "select 1;"),
            ("0003_skipped.sql", "select 3;"),
        ]);
        let message = error(list(&dir.0));
        assert!(message.contains("expected 0002, found 0003"), "{message}");

        let dir = TempDir::with_files(&[("0002_first.sql", "select 1;")]);
        assert!(error(list(&dir.0)).contains("expected 0001, found 0002"));
    }

    fn migration(name: &str, sql: &str) -> Migration {
        Migration {
            version: name[..4].to_string(),
            name: name.to_string(),
            path: PathBuf::from(format!("migrations/{name}.sql")),
            sql: sql.to_string(),
            checksum: hex(&Sha256::digest(sql.as_bytes())),
        }
    }

    fn applied(migration: &Migration) -> Applied {
        Applied {
            version: migration.version.clone(),
            name: migration.name.clone(),
            checksum: migration.checksum.clone(),
        }
    }

    #[test]
    fn applied_migrations_are_skipped_and_new_ones_are_pending_in_order() {
        let files = [
            migration("0001_core", "select 1;"),
            migration("0002_more", "select 2;"),
            migration("0003_most", "select 3;"),
        ];
        let pending_names = |applied: &[Applied]| -> Vec<String> {
            pending(&files, applied)
                .unwrap()
                .iter()
                .map(|m| m.name.clone())
                .collect()
        };
        assert_eq!(pending_names(&[]), ["0001_core", "0002_more", "0003_most"]);
        assert_eq!(
            pending_names(&[applied(&files[0])]),
            ["0002_more", "0003_most"]
        );
        assert!(pending_names(&files.iter().map(applied).collect::<Vec<_>>()).is_empty());
    }

    #[test]
    fn an_edited_applied_migration_is_refused() {
        let original = migration("0001_core", "create table t (id int);");
        let edited = migration("0001_core", "create table t (id bigint);");
        let message = error(pending(&[edited], &[applied(&original)]));
        assert!(
            message.contains("0001_core changed after it was applied"),
            "{message}"
        );
    }

    #[test]
    fn a_renamed_applied_migration_is_refused() {
        let original = migration("0001_core", "select 1;");
        let renamed = migration("0001_base", "select 1;");
        let message = error(pending(&[renamed], &[applied(&original)]));
        assert!(message.contains("never rename"), "{message}");
    }

    #[test]
    fn an_applied_migration_without_its_file_is_refused() {
        let first = migration("0001_core", "select 1;");
        let second = migration("0002_more", "select 2;");
        let message = error(pending(
            std::slice::from_ref(&first),
            &[applied(&first), applied(&second)],
        ));
        assert!(message.contains("0002_more is recorded as applied but its file is missing"));
    }

    #[test]
    fn a_new_file_numbered_below_an_applied_one_is_refused() {
        let first = migration("0001_core", "select 1;");
        let late = migration("0002_late", "select 2;");
        let third = migration("0003_more", "select 3;");
        let message = error(pending(
            &[first.clone(), late, third.clone()],
            &[applied(&first), applied(&third)],
        ));
        assert!(
            message.contains("0002_late is not applied but 0003 already is"),
            "{message}"
        );
    }
}
