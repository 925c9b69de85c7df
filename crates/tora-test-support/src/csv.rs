//! A strict RFC 4180 reader for the export's CSV: fields quoted only where needed,
//! `""` for a quote inside quotes, every line ending in CRLF. Strict on purpose, so a
//! test that reads an export also checks that it was written correctly.

/// Splits `text` into rows of fields, or says what breaks the format.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                if chars.next() != Some('\n') {
                    return Err(format!(
                        "row {}: a CR outside quotes not before LF",
                        rows.len() + 1
                    ));
                }
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => {
                return Err(format!(
                    "row {}: a line ends in LF, not CRLF",
                    rows.len() + 1
                ));
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is never closed".to_owned());
    }
    if !field.is_empty() || !row.is_empty() {
        return Err("the last line does not end in CRLF".to_owned());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let text = "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\r\nlines\",,x\r\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                vec!["a", "b,c", "say \"hi\""],
                vec!["two\r\nlines", "", "x"],
            ]
        );
    }

    #[test]
    fn text_that_breaks_the_format_is_refused() {
        assert!(parse("a,b\n").is_err(), "bare LF");
        assert!(parse("a,b").is_err(), "no final line ending");
        assert!(parse("\"open\r\n").is_err(), "unclosed quote");
        assert!(parse("a\rb\r\n").is_err(), "bare CR");
    }
}
