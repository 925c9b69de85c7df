//! The one JSON extractor: decode errors and validation errors share the problem format.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    Unexpected, Visitor,
};

use super::error::{ApiError, FieldError};

/// Decodes `body` into `T`. Broken JSON is a 400; JSON of the wrong shape (missing or
/// unknown fields, wrong types, an array where an object belongs) is a 422 naming the
/// field.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let strict = ObjectsOnly(&mut deserializer);
    let value = serde_path_to_error::deserialize(strict).map_err(|error| {
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

/// Refuses a JSON array wherever a struct is expected, at any depth. Serde's derived
/// structs also take their fields by position (`["Ana","lb","UTC"]` as a profile
/// patch); API bodies name their fields, so an array there is a client's mistake that
/// would otherwise be read as something the client never meant. Everything else is
/// passed through untouched, nested values wrapped again so the rule holds inside.
struct ObjectsOnly<D>(D);

/// What a refused array is told it should have been.
const AN_OBJECT: &str = "a JSON object";

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* Checked { inner: visitor, is_struct: false })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16();
        deserialize_i32(); deserialize_i64(); deserialize_i128(); deserialize_u8();
        deserialize_u16(); deserialize_u32(); deserialize_u64(); deserialize_u128();
        deserialize_f32(); deserialize_f64(); deserialize_char(); deserialize_str();
        deserialize_string(); deserialize_bytes(); deserialize_byte_buf();
        deserialize_option(); deserialize_unit(); deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str); deserialize_seq();
        deserialize_tuple(len: usize); deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map(); deserialize_identifier(); deserialize_ignored_any();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = Checked {
            inner: visitor,
            is_struct: true,
        };
        self.0.deserialize_struct(name, fields, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor that refuses sequences for structs and passes nested values on wrapped.
struct Checked<V> {
    inner: V,
    is_struct: bool,
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.inner.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Checked<V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(formatter)
    }

    forward_visit! {
        visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i64(i64);
        visit_i128(i128); visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u64(u64);
        visit_u128(u128); visit_f32(f32); visit_f64(f64); visit_char(char);
        visit_str(&str); visit_borrowed_str(&'de str); visit_string(String);
        visit_bytes(&[u8]); visit_borrowed_bytes(&'de [u8]); visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(ObjectsOnly(deserializer))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(ObjectsOnly(deserializer))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.is_struct {
            return Err(de::Error::invalid_type(Unexpected::Seq, &AN_OBJECT));
        }
        self.inner.visit_seq(Elements(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Entries(map))
    }

    /// Request bodies have no enums with payloads; a variant's contents are not checked.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}

/// The elements of a sequence, each checked.
struct Elements<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Elements<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Nested(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// The keys and values of a map, each checked.
struct Entries<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Entries<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Nested(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Nested(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// A nested value, read through `ObjectsOnly` again.
struct Nested<T>(T);

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Nested<T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T::Value, D::Error> {
        self.0.deserialize(ObjectsOnly(deserializer))
    }
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

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        tags: Vec<String>,
        items: Vec<Probe>,
        extra: Option<Probe>,
    }

    fn refused_at<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> FieldError {
        match decode::<T>(body.as_bytes()) {
            Err(ApiError::Validation(errors)) => errors[0].clone(),
            other => panic!("{body}: expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn fields_by_position_are_refused_at_any_depth() {
        let error = refused_at::<Probe>(r#"["a", 1]"#);
        assert_eq!(error.field, "body");
        assert!(
            error.message.contains("expected a JSON object"),
            "{}",
            error.message
        );

        let error = refused_at::<Outer>(r#"{"tags":[],"items":[{"name":"a"},["b",2]]}"#);
        assert_eq!(error.field, "items[1]");
        assert!(
            error.message.contains("expected a JSON object"),
            "{}",
            error.message
        );

        let error = refused_at::<Outer>(r#"{"tags":[],"items":[],"extra":["c"]}"#);
        assert_eq!(error.field, "extra");
    }

    #[test]
    fn objects_and_real_arrays_still_decode() {
        let outer: Outer =
            decode(br#"{"tags":["x","y"],"items":[{"name":"a","count":2}],"extra":{"name":"b"}}"#)
                .unwrap();
        assert_eq!(outer.tags, ["x", "y"]);
        assert_eq!(outer.items[0].count, Some(2));
        assert_eq!(outer.extra.map(|probe| probe.name).as_deref(), Some("b"));
    }
}
