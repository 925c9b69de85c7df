//! JSON params → the text Postgres receives (protocols §1.5).
//!
//! Every param becomes SQL NULL or text and is bound without a type (OID 0), so Postgres
//! infers the type from the statement; that is why callers cast (`$1::int8`).

use serde_json::Value;

/// One param as the proxy sends it: `None` is SQL NULL.
pub fn json_to_pg_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        // A string is the value itself: no quoting, so `\x0a0b` reaches bytea as is.
        Value::String(s) => Some(s.clone()),
        Value::Bool(_) | Value::Number(_) | Value::Object(_) => Some(value.to_string()),
        Value::Array(items) => Some(array_literal(items)),
    }
}

/// A Postgres array literal. Elements are written the way the proxy writes them: strings
/// and objects JSON-quoted (so control characters arrive mangled, a known Neon quirk),
/// numbers and booleans bare, null as `NULL`, nested arrays as nested braces.
fn array_literal(items: &[Value]) -> String {
    let elements: Vec<String> = items.iter().map(array_element).collect();
    format!("{{{}}}", elements.join(","))
}

fn array_element(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => value.to_string(),
        Value::Object(_) => Value::String(value.to_string()).to_string(),
        Value::Array(items) => array_literal(items),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn encode(value: Value) -> Option<String> {
        json_to_pg_text(&value)
    }

    #[test]
    fn scalars_become_text_and_null_stays_null() {
        assert_eq!(encode(json!(null)), None);
        assert_eq!(encode(json!(true)).as_deref(), Some("true"));
        assert_eq!(encode(json!(false)).as_deref(), Some("false"));
        assert_eq!(encode(json!(42)).as_deref(), Some("42"));
        assert_eq!(encode(json!(-7)).as_deref(), Some("-7"));
        assert_eq!(encode(json!(1.5)).as_deref(), Some("1.5"));
        assert_eq!(
            encode(json!(1e100)),
            Some(serde_json::to_string(&1e100).unwrap())
        );
    }

    #[test]
    fn strings_are_sent_verbatim_without_escaping() {
        assert_eq!(encode(json!("foo\"")).as_deref(), Some("foo\""));
        assert_eq!(encode(json!("\\x0a0b")).as_deref(), Some("\\x0a0b"));
        assert_eq!(encode(json!("{1,2}")).as_deref(), Some("{1,2}"));
        assert_eq!(encode(json!("line\nbreak")).as_deref(), Some("line\nbreak"));
    }

    #[test]
    fn objects_become_compact_json() {
        assert_eq!(
            encode(json!({"a": [1, "x"], "b": {"c": null}})).as_deref(),
            Some(r#"{"a":[1,"x"],"b":{"c":null}}"#)
        );
    }

    #[test]
    fn arrays_become_postgres_literals_with_json_quoted_strings() {
        assert_eq!(
            encode(json!([true, false, null, "NULL", 42, "foo", "bar\"-\\"])).as_deref(),
            Some(r#"{true,false,NULL,"NULL",42,"foo","bar\"-\\"}"#)
        );
        assert_eq!(
            encode(json!([[true, false], [null, 42], ["foo", "a,b"]])).as_deref(),
            Some(r#"{{true,false},{NULL,42},{"foo","a,b"}}"#)
        );
        assert_eq!(
            encode(json!([{"foo": 1}, {"bar": 2}])).as_deref(),
            Some(r#"{"{\"foo\":1}","{\"bar\":2}"}"#)
        );
        assert_eq!(encode(json!([])).as_deref(), Some("{}"));
    }

    #[test]
    fn control_characters_in_array_strings_use_json_escapes_like_the_proxy() {
        // Postgres reads `\n` inside an array literal as `n`: the documented Neon quirk.
        assert_eq!(encode(json!(["a\nb"])).as_deref(), Some(r#"{"a\nb"}"#));
    }
}
