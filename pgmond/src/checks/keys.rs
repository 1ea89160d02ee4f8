//! Tables with neither a primary key nor a replica identity: logical replication cannot
//! publish their updates and deletes, and nothing names one of their rows.

use pgmon_common::api::checks::{CheckKind, CheckSeverity};
use serde_json::json;
use tokio_postgres::Client;

use super::{FamilyOutcome, Found, NOT_EXTENSION, USER_SCHEMA, figures};

fn tables_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                greatest(c.reltuples, 0)::float8, pg_relation_size(c.oid)
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND c.relreplident NOT IN ('f', 'i') AND {USER_SCHEMA}
           AND {NOT_EXTENSION}
           AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)"
    )
}

pub async fn run(c: &Client) -> Result<FamilyOutcome, tokio_postgres::Error> {
    let found = c
        .query(&tables_sql(), &[])
        .await?
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            let (rows, bytes): (f64, i64) = (r.get(1), r.get(2));
            Found {
                kind: CheckKind::NoPrimaryKey,
                severity: CheckSeverity::Warning,
                object: name.clone(),
                figures: figures([("rows", json!(rows as i64)), ("table_bytes", json!(bytes))]),
                fix: format!(
                    "-- With a column (or columns) that names each row:\n\
                     ALTER TABLE {name} ADD PRIMARY KEY (<column>);\n\
                     -- Where none does, logical replication can still use the whole row:\n\
                     -- ALTER TABLE {name} REPLICA IDENTITY FULL;"
                ),
            }
        })
        .collect();
    Ok(FamilyOutcome {
        found,
        skipped: Vec::new(),
    })
}
