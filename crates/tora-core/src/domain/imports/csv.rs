//! An RFC 4180 reader for the exports people bring: fields split by one delimiter
//! (`,` or `;`), quoted fields may hold the delimiter, quotes (doubled) and line breaks,
//! lines end in CRLF or LF, and a UTF-8 byte-order mark is ignored.

/// One record and the line it starts on (1-based), for messages that point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("line {line}: a quoted field is never closed")]
    UnclosedQuote { line: usize },
    #[error("line {line}: a quote inside a field that does not start with one")]
    StrayQuote { line: usize },
    #[error("line {line}: text after a closing quote")]
    TextAfterQuote { line: usize },
}

/// Every record of `text`; blank lines are skipped.
pub fn records(text: &str, delimiter: char) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    // Whether the current field started with a quote, and whether it is still open.
    let mut quoted = false;
    let mut in_quotes = false;
    let mut after_quote = false;
    while let Some(ch) = chars.next() {
        if in_quotes {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    after_quote = true;
                }
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(ch),
            }
            continue;
        }
        match ch {
            '"' if field.is_empty() && !quoted => {
                quoted = true;
                in_quotes = true;
            }
            '"' => return Err(CsvError::StrayQuote { line }),
            _ if ch == delimiter => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
                after_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    records.push(Record {
                        line: record_line,
                        fields: std::mem::take(&mut fields),
                    });
                }
                fields.clear();
                quoted = false;
                after_quote = false;
                line += 1;
                record_line = line;
            }
            _ if after_quote => return Err(CsvError::TextAfterQuote { line }),
            _ => field.push(ch),
        }
    }
    if in_quotes {
        return Err(CsvError::UnclosedQuote { line: record_line });
    }
    if !field.is_empty() || !fields.is_empty() || quoted {
        fields.push(field);
        records.push(Record {
            line: record_line,
            fields,
        });
    }
    Ok(records)
}

/// The delimiter of a header line: `;` when it has more of them than commas.
pub fn sniff_delimiter(text: &str) -> char {
    let header = text.lines().next().unwrap_or_default();
    if header.matches(';').count() > header.matches(',').count() {
        ';'
    } else {
        ','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        records(text, ',')
            .unwrap()
            .into_iter()
            .map(|record| record.fields)
            .collect()
    }

    #[test]
    fn quoted_fields_hold_delimiters_quotes_and_line_breaks() {
        let text = "\u{feff}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\r\nlast,,\n";
        assert_eq!(
            fields(text),
            [
                vec!["a", "b", "c"],
                vec!["x, y", "say \"hi\"", "two\nlines"],
                vec!["last", "", ""],
            ]
        );
        let lines: Vec<usize> = records(text, ',').unwrap().iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 5]);
        assert_eq!(fields("no,newline"), [vec!["no", "newline"]]);
        assert_eq!(fields("\"\",x"), [vec!["", "x"]]);
    }

    #[test]
    fn broken_quoting_names_its_line() {
        assert_eq!(
            records("a\n\"open", ','),
            Err(CsvError::UnclosedQuote { line: 2 })
        );
        assert_eq!(
            records("a\nb\"c", ','),
            Err(CsvError::StrayQuote { line: 2 })
        );
        assert_eq!(
            records("\"a\"b", ','),
            Err(CsvError::TextAfterQuote { line: 1 })
        );
    }

    #[test]
    fn semicolon_files_are_recognised_by_their_header() {
        assert_eq!(sniff_delimiter("Date;Workout Name;Exercise Name\n1,2"), ';');
        assert_eq!(sniff_delimiter("\"title\",\"start_time\""), ',');
        assert_eq!(records("a;\"b;c\"", ';').unwrap()[0].fields, ["a", "b;c"]);
    }
}
