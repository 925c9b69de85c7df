// The text rule every field people type goes through (ours: domain/text.rs): no
// control characters (multi-line text keeps \n, \r\n and \t), not blank (spaces and
// invisible characters only), a limit in characters (code points), single lines trimmed.
// The messages are ours, word for word: they are shown next to the field in a 422.

// Unicode Cc: what Rust's `char::is_control` means.
const isControl = (c: number) => c <= 0x1f || (c >= 0x7f && c <= 0x9f);
const isLineBreak = (c: number) =>
  c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c || c === 0x85 || c === 0x2028 || c === 0x2029;

// Unicode White_Space, as Rust's `trim` and `char::is_whitespace` use it.
const WHITE_SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
// Text made only of these shows nothing: white space, default-ignorables and fillers.
const BLANK =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0000}-\u{e0fff}]*$/u;

export type TextResult = { ok: true; text: string } | { ok: false; message: string };

export function cleanText(raw: string, multiLine: boolean, maxChars: number): TextResult {
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i].codePointAt(0)!;
    let allowed: boolean;
    if (multiLine && (c === 0x0a || c === 0x09)) allowed = true;
    // A lone carriage return moves the cursor back over what was written.
    else if (multiLine && c === 0x0d) allowed = chars[i + 1] === '\n';
    else if (!multiLine && isLineBreak(c)) return { ok: false, message: 'must be a single line' };
    else allowed = !isControl(c);
    if (!allowed) {
      const code = c.toString(16).toUpperCase().padStart(4, '0');
      return { ok: false, message: `must not contain control characters (found U+${code})` };
    }
  }
  const kept = multiLine ? raw : raw.replace(WHITE_SPACE, '');
  if (BLANK.test(kept)) return { ok: false, message: 'must not be blank' };
  if ([...kept].length > maxChars) return { ok: false, message: `must be at most ${maxChars} characters` };
  return { ok: true, text: kept };
}
