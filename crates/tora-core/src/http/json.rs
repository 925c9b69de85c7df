//! The one JSON extractor: decode errors and validation errors share the problem format.

use serde::de::DeserializeOwned;

use super::error::{ApiError, FieldError};

/// Decodes `body` into `T`. Broken JSON is a 400; JSON of the wrong shape (missing or
/// unknown fields, wrong types) is a 422 naming the field.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            ApiError::MalformedJson(without_position(&inner.to_string()))
        } else {
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::Validation(vec![FieldError::new(
                field,
                without_position(&inner.to_string()),
            )])
        }
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::MalformedJson(without_position(&error.to_string())))?;
    Ok(value)
}

/// serde_json appends " at line 1 column 5"; the position means little to an app user
/// and the field path already says where.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Turns a `garde` report into field errors.
pub fn field_errors(report: &garde::Report) -> Vec<FieldError> {
    report
        .iter()
        .map(|(path, error)| {
            let field = path.to_string();
            FieldError::new(
                if field.is_empty() {
                    "body".to_owned()
                } else {
                    field
                },
                error.message(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        name: String,
        count: Option<u32>,
    }

    #[test]
    fn broken_json_is_malformed() {
        assert!(matches!(
            decode::<Probe>(b"{\"name\":"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            decode::<Probe>(b"{\"name\":\"a\"} trailing"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            decode::<Probe>(b""),
            Err(ApiError::MalformedJson(_))
        ));
    }

    #[test]
    fn wrong_shapes_name_the_field() {
        let Err(ApiError::Validation(errors)) = decode::<Probe>(br#"{"name":"a","count":"x"}"#)
        else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "count");
        assert!(!errors[0].message.contains("line"), "{}", errors[0].message);

        let Err(ApiError::Validation(errors)) = decode::<Probe>(br#"{"name":"a","colour":1}"#)
        else {
            panic!("expected a validation error");
        };
        assert!(errors[0].message.contains("unknown field `colour`"));

        let Err(ApiError::Validation(errors)) = decode::<Probe>(br#""just a string""#) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "body");
    }
}
