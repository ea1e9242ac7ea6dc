//! Values spelled out in a statement instead of bound as parameters, for counts.
//!
//! SurrealDB 3.3 answers `SELECT count() … WHERE … GROUP ALL` from index keys alone (no record
//! read) only when its planner can see the compared values: a `$param` is resolved after
//! planning, and the same count then reads every matching record (10,000 people: 170 ms
//! instead of 8 ms; 50,000 meetings: 2.3 s instead of 34 ms). Count statements therefore carry
//! their keys and times as literals. Only values Rondo made itself are spelled out: record
//! keys (`[0-9a-z]`, as `ids::record` admits them) and times; user text stays bound.
use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::StoreError;

/// A value to put into a statement's text.
#[derive(Debug, Clone)]
pub enum Literal {
    Key(String),
    Time(DateTime<Utc>),
}

impl Literal {
    /// A record key (owner, person…): refused unless it is one Rondo could have made
    /// (`[0-9a-z]`, tests' `owner-1`), so nothing can end the quotes.
    pub fn key(key: &str) -> Result<Literal, StoreError> {
        let valid = !key.is_empty()
            && key.len() <= 64
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid
            .then(|| Literal::Key(key.to_string()))
            .ok_or(StoreError::NotFound("record"))
    }

    fn text(&self) -> String {
        match self {
            Literal::Key(key) => format!("'{key}'"),
            Literal::Time(at) => format!("d'{}'", at.to_rfc3339_opts(SecondsFormat::Nanos, true)),
        }
    }
}

/// `sql` with every `$name` of `values` replaced by its literal (`$names` is another
/// parameter and stays).
pub fn inlined(sql: &str, values: &[(&str, Literal)]) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        match values.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(&value.text()),
            None => {
                out.push('$');
                out.push_str(name);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn named_parameters_become_literals_and_others_stay() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap();
        let sql = inlined(
            "WHERE owner = $owner AND owners = $owners AND starts_at > $now LIMIT $limit;",
            &[
                ("owner", Literal::key("abc123").unwrap()),
                ("now", Literal::Time(at)),
            ],
        );
        assert_eq!(
            sql,
            "WHERE owner = 'abc123' AND owners = $owners AND starts_at > d'2026-03-01T09:30:00.000000000Z' LIMIT $limit;"
        );
    }

    #[test]
    fn only_keys_rondo_makes_are_spelled_out() {
        assert!(Literal::key("0af3").is_ok() && Literal::key("owner-1").is_ok());
        for bad in ["", "a'b", "a b", "x\\", "é", &"a".repeat(65)] {
            assert!(Literal::key(bad).is_err(), "{bad:?}");
        }
    }

    /// The reason for all this: with literals the count is read from index keys.
    #[tokio::test]
    async fn a_count_with_literals_reads_index_keys_only() {
        let db = crate::db::memory().await.unwrap();
        let plan = |sql: String| {
            let db = db.clone();
            async move {
                let plan: surrealdb::types::Value = db
                    .query(format!("EXPLAIN {sql}"))
                    .bind(("owner", "abc"))
                    .await
                    .unwrap()
                    .take(0)
                    .unwrap();
                format!("{plan:?}")
            }
        };
        let sql = "SELECT count() AS n FROM person WHERE owner = $owner GROUP ALL";
        let owner = [("owner", Literal::key("abc").unwrap())];
        assert!(plan(inlined(sql, &owner)).await.contains("IndexCountScan"));
        assert!(!plan(sql.to_string()).await.contains("IndexCountScan"));
    }
}
