//! The tokenizer: expression text to a bounded vector of tokens with byte spans.

use super::error::{ExprError, ExprKind};

/// One lexical token. Identifiers include keywords (`AND`, `SET`, …); the parser decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind<'a> {
    /// `[A-Za-z_][A-Za-z0-9_]*`
    Ident(&'a str),
    /// `#` followed by `[A-Za-z0-9_]+`, including the `#`.
    NamePlaceholder(&'a str),
    /// `:` followed by `[A-Za-z0-9_]+`, including the `:`.
    ValuePlaceholder(&'a str),
    /// `[0-9]+` (only list indexes use numbers).
    Integer(&'a str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Eof,
}

/// A token and where it is in the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind<'a>,
    pub start: usize,
    pub end: usize,
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Splits `text` into tokens ending with one `Eof`. The text is already bounded by
/// [`super::MAX_EXPRESSION_BYTES`], so the vector is too.
pub(crate) fn tokenize(text: &str, kind: ExprKind) -> Result<Vec<Token<'_>>, ExprError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let byte = bytes[pos];
        if byte.is_ascii_whitespace() {
            pos += 1;
            continue;
        }
        let start = pos;
        let word_end = |from: usize| {
            let mut end = from;
            while end < bytes.len() && is_word_byte(bytes[end]) {
                end += 1;
            }
            end
        };
        let (token, end) = match byte {
            b'(' => (TokenKind::LParen, pos + 1),
            b')' => (TokenKind::RParen, pos + 1),
            b'[' => (TokenKind::LBracket, pos + 1),
            b']' => (TokenKind::RBracket, pos + 1),
            b',' => (TokenKind::Comma, pos + 1),
            b'.' => (TokenKind::Dot, pos + 1),
            b'+' => (TokenKind::Plus, pos + 1),
            b'-' => (TokenKind::Minus, pos + 1),
            b'=' => (TokenKind::Eq, pos + 1),
            b'<' => match bytes.get(pos + 1) {
                Some(b'>') => (TokenKind::Ne, pos + 2),
                Some(b'=') => (TokenKind::Le, pos + 2),
                _ => (TokenKind::Lt, pos + 1),
            },
            b'>' => match bytes.get(pos + 1) {
                Some(b'=') => (TokenKind::Ge, pos + 2),
                _ => (TokenKind::Gt, pos + 1),
            },
            b'#' | b':' => {
                let end = word_end(pos + 1);
                if end == pos + 1 {
                    return Err(syntax_error(text, kind, start, pos + 1));
                }
                let word = &text[start..end];
                let token = if byte == b'#' {
                    TokenKind::NamePlaceholder(word)
                } else {
                    TokenKind::ValuePlaceholder(word)
                };
                (token, end)
            }
            b'0'..=b'9' => {
                let end = word_end(pos);
                let word = &text[start..end];
                if !word.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(syntax_error(text, kind, start, end));
                }
                (TokenKind::Integer(word), end)
            }
            // A name starts with a letter: `_c` is a syntax error at `_` in DynamoDB
            // (dynalite's tests recorded "Invalid ConditionExpression: Syntax error;" for
            // `attribute_not_exists(_c)` and `c._d`); `_` may follow the first letter.
            b if b.is_ascii_alphabetic() => {
                let end = word_end(pos);
                (TokenKind::Ident(&text[start..end]), end)
            }
            _ => {
                // Report the whole (possibly multi-byte) character.
                let width = text[start..].chars().next().map_or(1, char::len_utf8);
                return Err(syntax_error(text, kind, start, start + width));
            }
        };
        tokens.push(Token {
            kind: token,
            start,
            end,
        });
        pos = end;
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        start: bytes.len(),
        end: bytes.len(),
    });
    Ok(tokens)
}

/// Bytes of context shown on each side of a bad token.
const NEAR_CONTEXT_BYTES: usize = 16;

/// DynamoDB's "Syntax error; token: …, near: …" for the span `start..end`.
pub(crate) fn syntax_error(text: &str, kind: ExprKind, start: usize, end: usize) -> ExprError {
    let token = if start >= text.len() {
        "<EOF>".to_string()
    } else {
        text[start..end].to_string()
    };
    let mut near_start = start.saturating_sub(NEAR_CONTEXT_BYTES);
    while !text.is_char_boundary(near_start) {
        near_start -= 1;
    }
    let mut near_end = (end + NEAR_CONTEXT_BYTES).min(text.len());
    while !text.is_char_boundary(near_end) {
        near_end += 1;
    }
    ExprError::Syntax {
        kind,
        token,
        near: text[near_start..near_end].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind<'_>> {
        tokenize(text, ExprKind::Condition)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn splits_operators_placeholders_and_paths() {
        use TokenKind::*;
        assert_eq!(
            kinds("#a.b[12] <> :v1 AND c>=:x"),
            vec![
                NamePlaceholder("#a"),
                Dot,
                Ident("b"),
                LBracket,
                Integer("12"),
                RBracket,
                Ne,
                ValuePlaceholder(":v1"),
                Ident("AND"),
                Ident("c"),
                Ge,
                ValuePlaceholder(":x"),
                Eof
            ]
        );
    }

    #[test]
    fn rejects_stray_characters_with_context() {
        let error = tokenize("a = :v $ b", ExprKind::Filter).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid FilterExpression: Syntax error; token: \"$\", near: \"a = :v $ b\""
        );
        assert!(tokenize("a = #", ExprKind::Filter).is_err());
        assert!(tokenize("a = 12ab", ExprKind::Filter).is_err());
        assert!(tokenize("naïve = :v", ExprKind::Filter).is_err());
    }
}
