//! Opaque page cursors: the position (time, id) of the last item of a page.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ports::PageCursor;

pub fn encode(cursor: &PageCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", cursor.at.to_rfc3339(), cursor.id))
}

/// `Err(())` for anything this API did not produce.
pub fn decode(raw: &str) -> Result<PageCursor, ()> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| ())?;
    let text = String::from_utf8(bytes).map_err(|_| ())?;
    let (at, id) = text.split_once('|').ok_or(())?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| ())?;
    let id = Uuid::parse_str(id).map_err(|_| ())?;
    Ok(PageCursor {
        at: at.with_timezone(&Utc),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T10:00:00.123Z")
            .unwrap()
            .with_timezone(&Utc);
        let id = Uuid::from_u128(42);
        let cursor = PageCursor { at, id };
        assert_eq!(decode(&encode(&cursor)), Ok(cursor));
        assert!(decode("not-a-cursor").is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("2026-11-25|x")).is_err());
    }
}
