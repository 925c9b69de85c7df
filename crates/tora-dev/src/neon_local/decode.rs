//! Query results → the proxy's JSON (protocols §1.6).
//!
//! Values arrive in Postgres text form. In raw mode every non-null value stays a string;
//! otherwise a few types become native JSON (bool, int2/int4, float4/float8, json/jsonb,
//! arrays of those) and everything else stays a string, so int8 and numeric never lose
//! precision in a JavaScript client.

use tokio_postgres::types::{Kind, Type};

use super::errors::NeonError;
use super::json::push_str;
use super::wire::{Column, QueryOutput};

/// Why a Postgres text value could not be turned into JSON. Postgres produced it, so this
/// is the endpoint's (or the database's) fault: a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversionError {
    Int(String),
    Float(String),
    UnbalancedArray,
    UnbalancedString,
}

impl std::fmt::Display for ConversionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConversionError::Int(value) => write!(f, "parse int error: {value:?}"),
            ConversionError::Float(value) => write!(f, "parse float error: {value:?}"),
            ConversionError::UnbalancedArray => f.write_str("unbalanced array"),
            ConversionError::UnbalancedString => f.write_str("unbalanced quoted string"),
        }
    }
}

impl From<ConversionError> for NeonError {
    fn from(error: ConversionError) -> Self {
        NeonError::Internal(format!("could not parse postgres response: {error}"))
    }
}

/// Splits a command tag into the command word and the row count, if the tag has one.
/// `INSERT oid rows` puts the count third; a tag like `CREATE TABLE` has none.
pub fn parse_command_tag(tag: &str) -> (&str, Option<i64>) {
    match tag.split_once(' ') {
        None => (tag, None),
        Some((name @ "INSERT", rest)) => {
            let count = rest
                .split_once(' ')
                .and_then(|(_oid, count)| count.parse::<i64>().ok());
            (name, count)
        }
        Some((name, rest)) => (name, rest.parse::<i64>().ok()),
    }
}

/// Writes one statement's result object. Fails with 507 once `out` outgrows `max_bytes`,
/// checked after every row so a runaway result stops early.
pub fn write_result(
    out: &mut String,
    output: &QueryOutput,
    raw_output: bool,
    array_mode: bool,
    max_bytes: usize,
) -> Result<(), NeonError> {
    out.push_str("{\"fields\":[");
    for (i, column) in output.columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field(out, column);
    }
    out.push_str("],\"rows\":[");
    for (i, row) in output.rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_row(out, &output.columns, row, raw_output, array_mode)?;
        if out.len() > max_bytes {
            return Err(NeonError::ResponseTooLarge(max_bytes));
        }
    }
    let (command, row_count) = parse_command_tag(output.tag.as_deref().unwrap_or(""));
    out.push_str("],\"command\":");
    push_str(out, command);
    out.push_str(",\"rowCount\":");
    match row_count {
        Some(count) => out.push_str(&count.to_string()),
        None => out.push_str("null"),
    }
    out.push_str(",\"rowAsArray\":");
    out.push_str(if array_mode { "true" } else { "false" });
    out.push('}');
    Ok(())
}

fn write_field(out: &mut String, column: &Column) {
    out.push_str("{\"name\":");
    push_str(out, &column.name);
    out.push_str(&format!(
        ",\"dataTypeID\":{},\"tableID\":{},\"columnID\":{},\"dataTypeSize\":{},\"dataTypeModifier\":{},\"format\":\"text\"}}",
        column.type_oid, column.table_oid, column.column_id, column.type_size, column.type_modifier
    ));
}

/// One row as an array, or as an object whose keys follow the column order. Two columns
/// with the same name give the object a repeated key, exactly like the proxy.
fn write_row(
    out: &mut String,
    columns: &[Column],
    row: &[Option<String>],
    raw_output: bool,
    array_mode: bool,
) -> Result<(), ConversionError> {
    out.push(if array_mode { '[' } else { '{' });
    for (i, (column, value)) in columns.iter().zip(row).enumerate() {
        if i > 0 {
            out.push(',');
        }
        if !array_mode {
            push_str(out, &column.name);
            out.push(':');
        }
        match value {
            None => out.push_str("null"),
            Some(text) if raw_output => push_str(out, text),
            Some(text) => pg_text_to_json(out, text, column.type_oid)?,
        }
    }
    out.push(if array_mode { ']' } else { '}' });
    Ok(())
}

/// Converts a value of the type with `type_oid`. Types the driver does not know (user
/// enums, extension types like `vector`) stay strings.
pub fn pg_text_to_json(out: &mut String, text: &str, type_oid: u32) -> Result<(), ConversionError> {
    match Type::from_oid(type_oid) {
        Some(ty) => value_to_json(out, text, &ty),
        None => {
            push_str(out, text);
            Ok(())
        }
    }
}

fn value_to_json(out: &mut String, text: &str, ty: &Type) -> Result<(), ConversionError> {
    if let Kind::Array(element) = ty.kind() {
        return array_to_json(out, text, element);
    }
    match *ty {
        Type::BOOL => out.push_str(if text == "t" { "true" } else { "false" }),
        Type::INT2 | Type::INT4 => {
            let value: i32 = text
                .parse()
                .map_err(|_| ConversionError::Int(text.to_string()))?;
            out.push_str(&value.to_string());
        }
        Type::FLOAT4 | Type::FLOAT8 => {
            let value: f64 = text
                .parse()
                .map_err(|_| ConversionError::Float(text.to_string()))?;
            match serde_json::Number::from_f64(value) {
                // serde_json's float formatting, so the digits match the proxy's.
                Some(number) => out.push_str(&number.to_string()),
                // JSON has no NaN or infinities: the proxy passes Postgres' spelling on.
                None => push_str(out, text),
            }
        }
        // Postgres only stores valid JSON in these types, so the text is embedded as is.
        Type::JSON | Type::JSONB => out.push_str(text),
        _ => push_str(out, text),
    }
    Ok(())
}

/// Parses an array's text form (`{1,2}`, `{{"a","b\"c"},{NULL,d}}`, `[0:1]={1,2}`) into a
/// JSON array, converting each element by the element type's rules. Bounds decoration is
/// dropped and nested dimensions are not checked for equal length, as in the proxy. The
/// delimiter is always `,`: only `box` uses another, and the proxy assumes `,` too.
fn array_to_json(out: &mut String, text: &str, element: &Type) -> Result<(), ConversionError> {
    let mut rest = text;
    if rest.starts_with('[') {
        rest = rest
            .split_once('=')
            .map(|(_bounds, array)| array)
            .ok_or(ConversionError::UnbalancedArray)?;
    }
    let rest = parse_array(out, rest.trim_start(), element)?;
    if !rest.is_empty() {
        return Err(ConversionError::UnbalancedArray);
    }
    Ok(())
}

/// Reads one `{...}` level, writes it as a JSON array and returns the unread input.
fn parse_array<'a>(
    out: &mut String,
    text: &'a str,
    element: &Type,
) -> Result<&'a str, ConversionError> {
    let mut rest = text
        .strip_prefix('{')
        .ok_or(ConversionError::UnbalancedArray)?;
    out.push('[');
    // `{}` is the empty array; anything else is one or more items separated by commas.
    if let Some(after) = rest.trim_start().strip_prefix('}') {
        out.push(']');
        return Ok(after.trim_start());
    }
    let mut first = true;
    loop {
        if !first {
            out.push(',');
        }
        first = false;
        rest = parse_item(out, rest, element)?;
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None => break,
        }
    }
    let rest = rest
        .strip_prefix('}')
        .ok_or(ConversionError::UnbalancedArray)?;
    out.push(']');
    Ok(rest.trim_start())
}

fn parse_item<'a>(
    out: &mut String,
    text: &'a str,
    element: &Type,
) -> Result<&'a str, ConversionError> {
    let text = text.trim_start();
    if text.starts_with('{') {
        return parse_array(out, text, element);
    }
    if let Some(quoted) = text.strip_prefix('"') {
        let (value, rest) = parse_quoted(quoted)?;
        value_to_json(out, &value, element)?;
        return Ok(rest);
    }
    let end = text
        .find([',', '}'])
        .ok_or(ConversionError::UnbalancedArray)?;
    let (item, rest) = text.split_at(end);
    let item = item.trim_end();
    // Only an unquoted NULL is SQL NULL; a quoted "NULL" is the four-letter string.
    if item == "NULL" {
        out.push_str("null");
    } else {
        value_to_json(out, item, element)?;
    }
    Ok(rest)
}

/// Reads a quoted element whose opening `"` is already consumed: backslash escapes the
/// next character. Returns the unescaped value and the input after the closing `"`.
fn parse_quoted(text: &str) -> Result<(String, &str), ConversionError> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, text[i + 1..].trim_start())),
            '\\' => {
                let (_, escaped) = chars.next().ok_or(ConversionError::UnbalancedString)?;
                value.push(escaped);
            }
            c => value.push(c),
        }
    }
    Err(ConversionError::UnbalancedString)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn convert(text: &str, ty: Type) -> Value {
        let mut out = String::new();
        pg_text_to_json(&mut out, text, ty.oid()).unwrap();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"))
    }

    fn convert_err(text: &str, ty: Type) -> ConversionError {
        let mut out = String::new();
        pg_text_to_json(&mut out, text, ty.oid()).unwrap_err()
    }

    #[test]
    fn scalars_follow_the_proxy_table() {
        assert_eq!(convert("t", Type::BOOL), json!(true));
        assert_eq!(convert("f", Type::BOOL), json!(false));
        assert_eq!(convert("42", Type::INT2), json!(42));
        assert_eq!(
            convert("-2147483648", Type::INT4),
            json!(-2_147_483_648_i64)
        );
        assert_eq!(
            convert("9007199254740993", Type::INT8),
            json!("9007199254740993")
        );
        assert_eq!(convert("1.50", Type::NUMERIC), json!("1.50"));
        assert_eq!(convert("42.42", Type::FLOAT8), json!(42.42));
        assert_eq!(convert("1.5", Type::FLOAT4), json!(1.5));
        assert_eq!(convert("NaN", Type::FLOAT4), json!("NaN"));
        assert_eq!(convert("Infinity", Type::FLOAT8), json!("Infinity"));
        assert_eq!(convert("-Infinity", Type::FLOAT8), json!("-Infinity"));
        assert_eq!(convert("foo", Type::TEXT), json!("foo"));
        assert_eq!(
            convert("2024-01-02 03:04:05.678+00", Type::TIMESTAMPTZ),
            json!("2024-01-02 03:04:05.678+00")
        );
        assert_eq!(convert("\\xdeadbeef", Type::BYTEA), json!("\\xdeadbeef"));
        assert_eq!(
            convert("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", Type::UUID),
            json!("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        );
    }

    #[test]
    fn float_digits_match_serde_json() {
        let mut out = String::new();
        pg_text_to_json(&mut out, "1e+100", Type::FLOAT8.oid()).unwrap();
        assert_eq!(out, serde_json::to_string(&1e100).unwrap());
    }

    #[test]
    fn json_and_jsonb_are_embedded_verbatim() {
        let mut out = String::new();
        pg_text_to_json(&mut out, r#"{"a": [1, null], "b": "x"}"#, Type::JSONB.oid()).unwrap();
        assert_eq!(out, r#"{"a": [1, null], "b": "x"}"#);
        assert_eq!(convert("[1,2]", Type::JSON), json!([1, 2]));
    }

    #[test]
    fn unknown_types_stay_strings() {
        let mut out = String::new();
        pg_text_to_json(&mut out, "[1,2,3]", 16_385).unwrap();
        assert_eq!(out, r#""[1,2,3]""#);
    }

    #[test]
    fn bad_numbers_are_conversion_errors() {
        assert_eq!(
            convert_err("x", Type::INT4),
            ConversionError::Int("x".into())
        );
        assert_eq!(
            convert_err("1.2.3", Type::FLOAT8),
            ConversionError::Float("1.2.3".into())
        );
    }

    #[test]
    fn arrays_convert_each_element_by_the_element_type() {
        assert_eq!(convert("{1,2,NULL}", Type::INT4_ARRAY), json!([1, 2, null]));
        assert_eq!(convert("{1,2}", Type::INT8_ARRAY), json!(["1", "2"]));
        assert_eq!(convert("{t,f}", Type::BOOL_ARRAY), json!([true, false]));
        assert_eq!(
            convert("{1.5,NaN}", Type::FLOAT8_ARRAY),
            json!([1.5, "NaN"])
        );
        assert_eq!(convert("{}", Type::INT4_ARRAY), json!([]));
        assert_eq!(
            convert(r#"{"{\"a\": 1}",NULL}"#, Type::JSONB_ARRAY),
            json!([{"a": 1}, null])
        );
    }

    #[test]
    fn quoted_text_elements_are_unescaped() {
        assert_eq!(
            convert(
                r#"{"",foo,"a,b","say \"hi\"","back\\slash","NULL",NULL," spaced "}"#,
                Type::TEXT_ARRAY
            ),
            json!([
                "",
                "foo",
                "a,b",
                "say \"hi\"",
                "back\\slash",
                "NULL",
                null,
                " spaced "
            ])
        );
        assert_eq!(
            convert(r#"{"{braces}",é✓}"#, Type::TEXT_ARRAY),
            json!(["{braces}", "é✓"])
        );
    }

    #[test]
    fn nested_arrays_and_bounds_decoration() {
        assert_eq!(
            convert("{{1,2},{3,4}}", Type::INT4_ARRAY),
            json!([[1, 2], [3, 4]])
        );
        assert_eq!(
            convert("[1:1][-2:-1][3:5]={{{1,2,3},{4,5,6}}}", Type::INT4_ARRAY),
            json!([[[1, 2, 3], [4, 5, 6]]])
        );
        assert_eq!(
            convert(r#"{{"a","b"},{NULL,"c d"}}"#, Type::TEXT_ARRAY),
            json!([["a", "b"], [null, "c d"]])
        );
        assert_eq!(convert("[0:1]={7,8}", Type::INT2_ARRAY), json!([7, 8]));
    }

    #[test]
    fn broken_arrays_are_errors() {
        for text in ["{1,2", "1,2}", "{1,2}}", "[1:2]{1,2}", "{{1},{2}"] {
            assert_eq!(
                convert_err(text, Type::INT4_ARRAY),
                ConversionError::UnbalancedArray,
                "{text}"
            );
        }
        assert_eq!(
            convert_err(r#"{"abc}"#, Type::TEXT_ARRAY),
            ConversionError::UnbalancedString
        );
    }

    #[test]
    fn command_tags_split_into_word_and_count() {
        assert_eq!(parse_command_tag("SELECT 3"), ("SELECT", Some(3)));
        assert_eq!(parse_command_tag("INSERT 0 5"), ("INSERT", Some(5)));
        assert_eq!(parse_command_tag("UPDATE 0"), ("UPDATE", Some(0)));
        assert_eq!(parse_command_tag("DELETE 12"), ("DELETE", Some(12)));
        assert_eq!(parse_command_tag("CREATE TABLE"), ("CREATE", None));
        assert_eq!(parse_command_tag("SET"), ("SET", None));
        assert_eq!(parse_command_tag("BEGIN"), ("BEGIN", None));
        assert_eq!(parse_command_tag(""), ("", None));
    }

    fn column(name: &str, ty: Type) -> Column {
        Column {
            name: name.to_string(),
            table_oid: 0,
            column_id: 0,
            type_oid: ty.oid(),
            type_size: -1,
            type_modifier: -1,
        }
    }

    fn sample() -> QueryOutput {
        QueryOutput {
            columns: vec![
                Column {
                    name: "id".into(),
                    table_oid: 16_390,
                    column_id: 1,
                    type_oid: 23,
                    type_size: 4,
                    type_modifier: -1,
                },
                column("tags", Type::TEXT_ARRAY),
                column("id", Type::BOOL),
            ],
            rows: vec![
                vec![Some("1".into()), Some("{a,b}".into()), Some("t".into())],
                vec![Some("2".into()), None, None],
            ],
            tag: Some("SELECT 2".into()),
        }
    }

    #[test]
    fn object_mode_result_has_fixed_keys_and_repeats_duplicate_column_names() {
        let mut out = String::new();
        write_result(&mut out, &sample(), false, false, usize::MAX).unwrap();
        assert_eq!(
            out,
            concat!(
                r#"{"fields":[{"name":"id","dataTypeID":23,"tableID":16390,"columnID":1,"dataTypeSize":4,"dataTypeModifier":-1,"format":"text"},"#,
                r#"{"name":"tags","dataTypeID":1009,"tableID":0,"columnID":0,"dataTypeSize":-1,"dataTypeModifier":-1,"format":"text"},"#,
                r#"{"name":"id","dataTypeID":16,"tableID":0,"columnID":0,"dataTypeSize":-1,"dataTypeModifier":-1,"format":"text"}],"#,
                r#""rows":[{"id":1,"tags":["a","b"],"id":true},{"id":2,"tags":null,"id":null}],"#,
                r#""command":"SELECT","rowCount":2,"rowAsArray":false}"#
            )
        );
    }

    #[test]
    fn raw_array_mode_keeps_postgres_text_and_null() {
        let mut out = String::new();
        write_result(&mut out, &sample(), true, true, usize::MAX).unwrap();
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            value["rows"],
            json!([["1", "{a,b}", "t"], ["2", null, null]])
        );
        assert_eq!(value["rowAsArray"], json!(true));
    }

    #[test]
    fn a_statement_without_columns_or_count_has_empty_lists_and_null_count() {
        let output = QueryOutput {
            columns: vec![],
            rows: vec![],
            tag: Some("CREATE TABLE".into()),
        };
        let mut out = String::new();
        write_result(&mut out, &output, true, true, usize::MAX).unwrap();
        assert_eq!(
            out,
            r#"{"fields":[],"rows":[],"command":"CREATE","rowCount":null,"rowAsArray":true}"#
        );
    }

    #[test]
    fn output_over_the_limit_is_response_too_large() {
        let mut out = String::new();
        assert_eq!(
            write_result(&mut out, &sample(), false, false, 100),
            Err(NeonError::ResponseTooLarge(100))
        );
    }
}
