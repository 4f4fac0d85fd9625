//! Splits a STIX pattern into tokens: brackets, operators, words, quoted strings (with the
//! two escapes STIX allows), numbers and typed literals (t'…', h'…', b'…').

use crate::text::Text;

use super::{Operator, PatternError};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    Comma,
    Colon,
    Dot,
    Star,
    Compare(Operator),
    Word(String),
    String(String),
    Number(String),
    Typed(char, String),
}

impl TokenKind {
    pub(super) fn describe(&self) -> String {
        match self {
            TokenKind::LeftBracket => "[".into(),
            TokenKind::RightBracket => "]".into(),
            TokenKind::LeftParen => "(".into(),
            TokenKind::RightParen => ")".into(),
            TokenKind::Comma => ",".into(),
            TokenKind::Colon => ":".into(),
            TokenKind::Dot => ".".into(),
            TokenKind::Star => "*".into(),
            TokenKind::Compare(op) => op.as_str().into(),
            TokenKind::Word(w) => w.clone(),
            TokenKind::String(s) => format!("'{s}'"),
            TokenKind::Number(n) => n.clone(),
            TokenKind::Typed(p, s) => format!("{p}'{s}'"),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    pub(super) offset: usize,
}

pub(super) fn lex_error(offset: usize, zh: String, en: String) -> PatternError {
    PatternError {
        offset,
        reason: Text::new(
            format!("樣式第 {offset} 字元：{zh}"),
            format!("pattern, character {offset}: {en}"),
        ),
    }
}

pub(super) fn lex(text: &str) -> Result<Vec<Token>, PatternError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(offset, c)) = chars.peek() {
        let simple = match c {
            '[' => Some(TokenKind::LeftBracket),
            ']' => Some(TokenKind::RightBracket),
            '(' => Some(TokenKind::LeftParen),
            ')' => Some(TokenKind::RightParen),
            ',' => Some(TokenKind::Comma),
            ':' => Some(TokenKind::Colon),
            '.' => Some(TokenKind::Dot),
            '*' => Some(TokenKind::Star),
            _ => None,
        };
        if let Some(kind) = simple {
            chars.next();
            tokens.push(Token { kind, offset });
            continue;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        match c {
            '=' => {
                chars.next();
                tokens.push(Token {
                    kind: TokenKind::Compare(Operator::Equal),
                    offset,
                });
            }
            '!' | '<' | '>' => {
                chars.next();
                let followed_by_equals = chars.peek().is_some_and(|&(_, n)| n == '=');
                if followed_by_equals {
                    chars.next();
                }
                let op = match (c, followed_by_equals) {
                    ('!', true) => Operator::NotEqual,
                    ('<', false) => Operator::Less,
                    ('<', true) => Operator::LessOrEqual,
                    ('>', false) => Operator::Greater,
                    ('>', true) => Operator::GreaterOrEqual,
                    _ => {
                        return Err(lex_error(
                            offset,
                            "「!」只能用在「!=」".into(),
                            "'!' is only valid as '!='".into(),
                        ));
                    }
                };
                tokens.push(Token {
                    kind: TokenKind::Compare(op),
                    offset,
                });
            }
            '\'' => {
                chars.next();
                let value = quoted(&mut chars, offset)?;
                tokens.push(Token {
                    kind: TokenKind::String(value),
                    offset,
                });
            }
            '-' | '0'..='9' => {
                let mut number = String::new();
                while let Some(&(_, n)) = chars.peek() {
                    let sign_ok = number.is_empty() && matches!(n, '-' | '+');
                    if n.is_ascii_digit() || n == '.' || sign_ok {
                        number.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let digits_ok = number
                    .trim_start_matches(['-', '+'])
                    .starts_with(|d: char| d.is_ascii_digit())
                    && number.matches('.').count() <= 1
                    && !number.ends_with('.');
                if !digits_ok {
                    return Err(lex_error(
                        offset,
                        format!("「{number}」不是數字"),
                        format!("'{number}' is not a number"),
                    ));
                }
                tokens.push(Token {
                    kind: TokenKind::Number(number),
                    offset,
                });
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut word = String::new();
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' || n == '-' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let typed_prefix = matches!(word.as_str(), "t" | "h" | "b")
                    && chars.peek().is_some_and(|&(_, n)| n == '\'');
                if typed_prefix {
                    chars.next();
                    let value = quoted(&mut chars, offset)?;
                    let prefix = word.chars().next().unwrap_or('t');
                    tokens.push(Token {
                        kind: TokenKind::Typed(prefix, value),
                        offset,
                    });
                } else {
                    tokens.push(Token {
                        kind: TokenKind::Word(word),
                        offset,
                    });
                }
            }
            other => {
                return Err(lex_error(
                    offset,
                    format!("無法辨識的字元「{other}」"),
                    format!("unexpected character '{other}'"),
                ));
            }
        }
    }
    Ok(tokens)
}

/// Reads a quoted string after its opening quote. STIX allows exactly two escapes, `\'` and
/// `\\`; anything else after a backslash is an error.
fn quoted(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    start: usize,
) -> Result<String, PatternError> {
    let mut value = String::new();
    loop {
        match chars.next() {
            None => {
                return Err(lex_error(
                    start,
                    "字串缺少結尾的單引號".into(),
                    "string without a closing quote".into(),
                ));
            }
            Some((_, '\'')) => return Ok(value),
            Some((at, '\\')) => match chars.next() {
                Some((_, escaped @ ('\'' | '\\'))) => value.push(escaped),
                _ => {
                    return Err(lex_error(
                        at,
                        "字串中的反斜線只能寫成 \\' 或 \\\\".into(),
                        "a backslash in a string may only escape ' or \\".into(),
                    ));
                }
            },
            Some((_, c)) => value.push(c),
        }
    }
}
