//! STIX patterning (STIX 2.1 §9): a hand-written recursive-descent parser for the whole
//! grammar, and the step that turns the part civitas can match — equality, IN and ISSUBSET on
//! addresses, domains, URLs, e-mail addresses and file hashes, joined by AND/OR inside one
//! observation and by OR between observations — into a [`MatchPlan`]. Everything else parses
//! but is reported as not supported for matching, so its indicator is stored, never dropped.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::text::Text;

use super::observable::{HashAlgorithm, MatchKey, ObservableKind};

/// How deep parentheses and brackets may nest; deeper input is refused rather than risking
/// the stack.
const MAX_DEPTH: usize = 64;
/// A plan is OR of ANDs; a pattern that multiplies out to more is not matched.
const MAX_ALTERNATIVES: usize = 256;
const MAX_TESTS_PER_ALTERNATIVE: usize = 64;

/// A parsed pattern (observation expressions and their qualifiers).
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Observation(Comparison),
    Or(Vec<Pattern>),
    And(Vec<Pattern>),
    FollowedBy(Vec<Pattern>),
    Qualified(Box<Pattern>, Qualifier),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    Within(String),
    Repeats(String),
    StartStop(String, String),
}

/// The comparison expression inside `[ … ]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    Or(Vec<Comparison>),
    And(Vec<Comparison>),
    Test(PropertyTest),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropertyTest {
    pub path: ObjectPath,
    pub negated: bool,
    pub operator: Operator,
    /// `None` only for `EXISTS`.
    pub value: Option<Literal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
    Exists,
}

impl Operator {
    fn as_str(&self) -> &'static str {
        match self {
            Operator::Equal => "=",
            Operator::NotEqual => "!=",
            Operator::Greater => ">",
            Operator::Less => "<",
            Operator::GreaterOrEqual => ">=",
            Operator::LessOrEqual => "<=",
            Operator::In => "IN",
            Operator::Like => "LIKE",
            Operator::Matches => "MATCHES",
            Operator::IsSubset => "ISSUBSET",
            Operator::IsSuperset => "ISSUPERSET",
            Operator::Exists => "EXISTS",
        }
    }
}

/// `file:hashes.'SHA-256'` is `file` with steps `hashes`, `SHA-256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Property(String),
    /// `[n]`, or `[*]` as `None`.
    Index(Option<i64>),
}

impl ObjectPath {
    fn render(&self) -> String {
        let mut out = format!("{}:", self.object_type);
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Property(name) if i == 0 => out.push_str(name),
                PathStep::Property(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                PathStep::Index(Some(n)) => out.push_str(&format!("[{n}]")),
                PathStep::Index(None) => out.push_str("[*]"),
            }
        }
        out
    }

    /// The property names, when the path has no list index.
    fn names(&self) -> Option<Vec<&str>> {
        self.steps
            .iter()
            .map(|s| match s {
                PathStep::Property(name) => Some(name.as_str()),
                PathStep::Index(_) => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    /// Integers and floats, as written.
    Number(String),
    Bool(bool),
    Timestamp(String),
    Hex(String),
    Binary(String),
    Set(Vec<Literal>),
}

/// Why a pattern could not be read, with the character offset where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub offset: usize,
    pub reason: Text,
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            position: 0,
            depth: 0,
            end: text.len(),
        };
        let pattern = parser.observation_expressions()?;
        match parser.peek() {
            None => Ok(pattern),
            Some(token) => Err(parser.error_at(
                token.offset,
                format!("「{}」之後不應還有內容", token.kind.describe()),
                format!(
                    "unexpected '{}' after the end of the pattern",
                    token.kind.describe()
                ),
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
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
    fn describe(&self) -> String {
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
struct Token {
    kind: TokenKind,
    offset: usize,
}

fn lex_error(offset: usize, zh: String, en: String) -> PatternError {
    PatternError {
        offset,
        reason: Text::new(
            format!("樣式第 {offset} 字元：{zh}"),
            format!("pattern, character {offset}: {en}"),
        ),
    }
}

fn lex(text: &str) -> Result<Vec<Token>, PatternError> {
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

// ---------------------------------------------------------------------------------------
// Parser

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    depth: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Word(w), .. }) if w == word)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        if token.is_some() {
            self.position += 1;
        }
        token
    }

    fn offset(&self) -> usize {
        self.peek().map(|t| t.offset).unwrap_or(self.end)
    }

    fn error_at(&self, offset: usize, zh: String, en: String) -> PatternError {
        lex_error(offset, zh, en)
    }

    fn expected(&self, what_zh: &str, what_en: &str) -> PatternError {
        let found = self
            .peek()
            .map(|t| t.kind.describe())
            .unwrap_or_else(|| "end".into());
        self.error_at(
            self.offset(),
            format!("此處應為{what_zh}，卻是「{found}」"),
            format!("expected {what_en}, found '{found}'"),
        )
    }

    fn expect(&mut self, kind: TokenKind, zh: &str, en: &str) -> Result<(), PatternError> {
        if self.peek().map(|t| &t.kind) == Some(&kind) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.expected(zh, en))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                self.offset(),
                format!("括號巢狀超過 {MAX_DEPTH} 層"),
                format!("brackets nested deeper than {MAX_DEPTH}"),
            ));
        }
        Ok(())
    }

    /// observationExpressions: `FOLLOWEDBY` binds loosest, then `OR`, then `AND`.
    fn observation_expressions(&mut self) -> Result<Pattern, PatternError> {
        let mut parts = vec![self.observation_or()?];
        while self.peek_word("FOLLOWEDBY") {
            self.next();
            parts.push(self.observation_or()?);
        }
        Ok(collapse(parts, Pattern::FollowedBy))
    }

    fn observation_or(&mut self) -> Result<Pattern, PatternError> {
        let mut parts = vec![self.observation_and()?];
        while self.peek_word("OR") {
            self.next();
            parts.push(self.observation_and()?);
        }
        Ok(collapse(parts, Pattern::Or))
    }

    fn observation_and(&mut self) -> Result<Pattern, PatternError> {
        let mut parts = vec![self.observation()?];
        while self.peek_word("AND") {
            self.next();
            parts.push(self.observation()?);
        }
        Ok(collapse(parts, Pattern::And))
    }

    fn observation(&mut self) -> Result<Pattern, PatternError> {
        self.enter()?;
        let mut pattern = match self.peek().map(|t| t.kind.clone()) {
            Some(TokenKind::LeftBracket) => {
                self.next();
                let comparison = self.comparison_or()?;
                self.expect(TokenKind::RightBracket, "「]」", "']'")?;
                Pattern::Observation(comparison)
            }
            Some(TokenKind::LeftParen) => {
                self.next();
                let inner = self.observation_expressions()?;
                self.expect(TokenKind::RightParen, "「)」", "')'")?;
                inner
            }
            _ => return Err(self.expected("「[」或「(」", "'[' or '('")),
        };
        while let Some(qualifier) = self.qualifier()? {
            pattern = Pattern::Qualified(Box::new(pattern), qualifier);
        }
        self.depth -= 1;
        Ok(pattern)
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, PatternError> {
        if self.peek_word("WITHIN") {
            self.next();
            let seconds = self.number("秒數", "a number of seconds")?;
            self.keyword("SECONDS")?;
            return Ok(Some(Qualifier::Within(seconds)));
        }
        if self.peek_word("REPEATS") {
            self.next();
            let times = self.number("次數", "a number of times")?;
            self.keyword("TIMES")?;
            return Ok(Some(Qualifier::Repeats(times)));
        }
        if self.peek_word("START") {
            self.next();
            let start = self.timestamp()?;
            self.keyword("STOP")?;
            let stop = self.timestamp()?;
            return Ok(Some(Qualifier::StartStop(start, stop)));
        }
        Ok(None)
    }

    fn keyword(&mut self, word: &str) -> Result<(), PatternError> {
        if self.peek_word(word) {
            self.next();
            Ok(())
        } else {
            Err(self.expected(&format!("「{word}」"), &format!("'{word}'")))
        }
    }

    fn number(&mut self, zh: &str, en: &str) -> Result<String, PatternError> {
        match self.peek().map(|t| t.kind.clone()) {
            Some(TokenKind::Number(n)) => {
                self.next();
                Ok(n)
            }
            _ => Err(self.expected(zh, en)),
        }
    }

    fn timestamp(&mut self) -> Result<String, PatternError> {
        match self.peek().map(|t| t.kind.clone()) {
            Some(TokenKind::Typed('t', value)) => {
                self.next();
                Ok(value)
            }
            _ => Err(self.expected("時間（t'…'）", "a timestamp (t'…')")),
        }
    }

    fn comparison_or(&mut self) -> Result<Comparison, PatternError> {
        let mut parts = vec![self.comparison_and()?];
        while self.peek_word("OR") {
            self.next();
            parts.push(self.comparison_and()?);
        }
        Ok(collapse(parts, Comparison::Or))
    }

    fn comparison_and(&mut self) -> Result<Comparison, PatternError> {
        let mut parts = vec![self.property_test()?];
        while self.peek_word("AND") {
            self.next();
            parts.push(self.property_test()?);
        }
        Ok(collapse(parts, Comparison::And))
    }

    fn property_test(&mut self) -> Result<Comparison, PatternError> {
        if self.peek().map(|t| &t.kind) == Some(&TokenKind::LeftParen) {
            self.enter()?;
            self.next();
            let inner = self.comparison_or()?;
            self.expect(TokenKind::RightParen, "「)」", "')'")?;
            self.depth -= 1;
            return Ok(inner);
        }
        if self.peek_word("EXISTS") {
            self.next();
            let path = self.object_path()?;
            return Ok(Comparison::Test(PropertyTest {
                path,
                negated: false,
                operator: Operator::Exists,
                value: None,
            }));
        }
        let path = self.object_path()?;
        let negated = self.peek_word("NOT");
        if negated {
            self.next();
        }
        let operator = match self.next().map(|t| t.kind) {
            Some(TokenKind::Compare(op)) => op,
            Some(TokenKind::Word(w)) => match w.as_str() {
                "IN" => Operator::In,
                "LIKE" => Operator::Like,
                "MATCHES" => Operator::Matches,
                "ISSUBSET" => Operator::IsSubset,
                "ISSUPERSET" => Operator::IsSuperset,
                _ => {
                    self.position -= 1;
                    return Err(self.expected("比較運算子", "a comparison operator"));
                }
            },
            Some(_) => {
                self.position -= 1;
                return Err(self.expected("比較運算子", "a comparison operator"));
            }
            None => return Err(self.expected("比較運算子", "a comparison operator")),
        };
        let value = if operator == Operator::In {
            self.set_literal()?
        } else {
            self.literal()?
        };
        Ok(Comparison::Test(PropertyTest {
            path,
            negated,
            operator,
            value: Some(value),
        }))
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match self.next().map(|t| t.kind) {
            Some(TokenKind::Word(w)) => w,
            _ => {
                self.position = self.position.saturating_sub(1);
                return Err(self.expected(
                    "物件路徑（如 ipv4-addr:value）",
                    "an object path (e.g. ipv4-addr:value)",
                ));
            }
        };
        self.expect(TokenKind::Colon, "「:」", "':'")?;
        let mut steps = vec![self.path_name()?];
        loop {
            match self.peek().map(|t| t.kind.clone()) {
                Some(TokenKind::Dot) => {
                    self.next();
                    steps.push(self.path_name()?);
                }
                Some(TokenKind::LeftBracket) => {
                    self.next();
                    let index = match self.next().map(|t| t.kind) {
                        Some(TokenKind::Star) => None,
                        Some(TokenKind::Number(n)) => match n.parse::<i64>() {
                            Ok(n) => Some(n),
                            Err(_) => return Err(self.expected("整數索引", "an integer index")),
                        },
                        _ => return Err(self.expected("索引或 *", "an index or *")),
                    };
                    self.expect(TokenKind::RightBracket, "「]」", "']'")?;
                    steps.push(PathStep::Index(index));
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }

    fn path_name(&mut self) -> Result<PathStep, PatternError> {
        match self.next().map(|t| t.kind) {
            Some(TokenKind::Word(w) | TokenKind::String(w)) => Ok(PathStep::Property(w)),
            _ => {
                self.position = self.position.saturating_sub(1);
                Err(self.expected("屬性名稱", "a property name"))
            }
        }
    }

    fn literal(&mut self) -> Result<Literal, PatternError> {
        let literal = match self.peek().map(|t| t.kind.clone()) {
            Some(TokenKind::String(s)) => Literal::String(s),
            Some(TokenKind::Number(n)) => Literal::Number(n),
            Some(TokenKind::Word(w)) if w == "true" => Literal::Bool(true),
            Some(TokenKind::Word(w)) if w == "false" => Literal::Bool(false),
            Some(TokenKind::Typed('t', s)) => Literal::Timestamp(s),
            Some(TokenKind::Typed('h', s)) => Literal::Hex(s),
            Some(TokenKind::Typed(_, s)) => Literal::Binary(s),
            _ => return Err(self.expected("值", "a value")),
        };
        self.next();
        Ok(literal)
    }

    fn set_literal(&mut self) -> Result<Literal, PatternError> {
        self.expect(TokenKind::LeftParen, "「(」", "'('")?;
        let mut values = vec![self.literal()?];
        while self.peek().map(|t| &t.kind) == Some(&TokenKind::Comma) {
            self.next();
            values.push(self.literal()?);
        }
        self.expect(TokenKind::RightParen, "「)」", "')'")?;
        Ok(Literal::Set(values))
    }
}

fn collapse<T>(mut parts: Vec<T>, join: fn(Vec<T>) -> T) -> T {
    if parts.len() == 1
        && let Some(only) = parts.pop()
    {
        return only;
    }
    join(parts)
}

// ---------------------------------------------------------------------------------------
// From pattern to match plan

/// One condition on the observables of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Test {
    Equals(MatchKey),
    InIpv4Network { network: u32, prefix: u8 },
    InIpv6Network { network: u128, prefix: u8 },
}

/// What an indicator matches: any one alternative, each satisfied when every one of its tests
/// is met by some observable of the alert. (STIX asks that the tests of one observation hold
/// for one observed-data; an alert is treated as that one observation.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPlan {
    pub alternatives: Vec<Vec<Test>>,
}

/// Whether an indicator can take part in matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matchability {
    Matchable(MatchPlan),
    /// Stored, shown, exported, but never matched; the reason says what civitas cannot match.
    Unsupported(Text),
}

impl Pattern {
    pub fn match_plan(&self) -> Matchability {
        match plan_pattern(self) {
            Ok(alternatives) => Matchability::Matchable(MatchPlan { alternatives }),
            Err(why) => Matchability::Unsupported(why),
        }
    }
}

fn unsupported(zh: impl Into<String>, en: impl Into<String>) -> Text {
    let (zh, en) = (zh.into(), en.into());
    Text::new(
        format!("不支援比對：{zh}"),
        format!("not supported for matching: {en}"),
    )
}

fn plan_pattern(pattern: &Pattern) -> Result<Vec<Vec<Test>>, Text> {
    match pattern {
        Pattern::Observation(comparison) => plan_comparison(comparison),
        Pattern::Or(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(plan_pattern(part)?);
                check_size(&all)?;
            }
            Ok(all)
        }
        Pattern::And(_) => Err(unsupported(
            "多個觀察式以 AND 連接",
            "observation expressions joined by AND",
        )),
        Pattern::FollowedBy(_) => Err(unsupported("FOLLOWEDBY", "FOLLOWEDBY")),
        Pattern::Qualified(_, qualifier) => {
            let name = match qualifier {
                Qualifier::Within(_) => "WITHIN",
                Qualifier::Repeats(_) => "REPEATS",
                Qualifier::StartStop(..) => "START/STOP",
            };
            Err(unsupported(
                format!("限定詞 {name}"),
                format!("the {name} qualifier"),
            ))
        }
    }
}

fn check_size(alternatives: &[Vec<Test>]) -> Result<(), Text> {
    let too_many = alternatives.len() > MAX_ALTERNATIVES
        || alternatives
            .iter()
            .any(|a| a.len() > MAX_TESTS_PER_ALTERNATIVE);
    if too_many {
        return Err(unsupported(
            format!(
                "展開後超過 {MAX_ALTERNATIVES} 種組合或每組 {MAX_TESTS_PER_ALTERNATIVE} 個條件"
            ),
            format!(
                "the pattern expands to more than {MAX_ALTERNATIVES} alternatives or {MAX_TESTS_PER_ALTERNATIVE} tests in one"
            ),
        ));
    }
    Ok(())
}

fn plan_comparison(comparison: &Comparison) -> Result<Vec<Vec<Test>>, Text> {
    match comparison {
        Comparison::Test(test) => plan_test(test),
        Comparison::Or(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(plan_comparison(part)?);
                check_size(&all)?;
            }
            Ok(all)
        }
        Comparison::And(parts) => {
            let mut product: Vec<Vec<Test>> = vec![Vec::new()];
            for part in parts {
                let choices = plan_comparison(part)?;
                let mut next = Vec::with_capacity(product.len() * choices.len());
                for left in &product {
                    for right in &choices {
                        let mut both = left.clone();
                        both.extend(right.iter().cloned());
                        next.push(both);
                    }
                    check_size(&next)?;
                }
                product = next;
            }
            Ok(product)
        }
    }
}

/// What a path compares: the observable kind, or `None` when civitas does not match on it.
fn path_kind(path: &ObjectPath) -> Option<ObservableKind> {
    let names = path.names()?;
    match (path.object_type.as_str(), names.as_slice()) {
        ("ipv4-addr", ["value"]) => Some(ObservableKind::Ipv4),
        ("ipv6-addr", ["value"]) => Some(ObservableKind::Ipv6),
        ("domain-name", ["value"]) => Some(ObservableKind::Domain),
        ("url", ["value"]) => Some(ObservableKind::Url),
        ("email-addr", ["value"]) => Some(ObservableKind::Email),
        ("file", ["hashes", algorithm]) => {
            HashAlgorithm::parse(algorithm).map(ObservableKind::FileHash)
        }
        _ => None,
    }
}

fn plan_test(test: &PropertyTest) -> Result<Vec<Vec<Test>>, Text> {
    let path = test.path.render();
    let Some(kind) = path_kind(&test.path) else {
        return Err(unsupported(
            format!("屬性 {path}（civitas 比對 IP、網域、URL、電子郵件與檔案雜湊）"),
            format!(
                "the property {path} (civitas matches addresses, domains, URLs, e-mail addresses and file hashes)"
            ),
        ));
    };
    if test.negated {
        return Err(unsupported(
            format!("{path} 的 NOT"),
            format!("NOT on {path}"),
        ));
    }
    let values: Vec<&Literal> = match (&test.operator, &test.value) {
        (Operator::Equal | Operator::IsSubset, Some(value)) => vec![value],
        (Operator::In, Some(Literal::Set(values))) => values.iter().collect(),
        (op, _) => {
            let op = op.as_str();
            return Err(unsupported(
                format!("{path} 的運算子 {op}"),
                format!("the operator {op} on {path}"),
            ));
        }
    };
    let subset = test.operator == Operator::IsSubset;
    if subset && !matches!(kind, ObservableKind::Ipv4 | ObservableKind::Ipv6) {
        return Err(unsupported(
            format!("{path} 的 ISSUBSET（僅適用於 IP 位址）"),
            format!("ISSUBSET on {path} (only for IP addresses)"),
        ));
    }
    let mut alternatives = Vec::with_capacity(values.len());
    for value in values {
        let Literal::String(text) = value else {
            return Err(unsupported(
                format!("{path} 與非字串值比較"),
                format!("{path} compared with a value that is not a string"),
            ));
        };
        let Some(test) = value_test(kind, text) else {
            return Err(unsupported(
                format!("「{text}」不是有效的 {path}"),
                format!("'{text}' is not a valid {path}"),
            ));
        };
        alternatives.push(vec![test]);
    }
    check_size(&alternatives)?;
    Ok(alternatives)
}

/// An address value may be a CIDR block (STIX allows it for ipv4-addr and ipv6-addr values);
/// `=` with a block and `ISSUBSET` both mean "inside the block". A full-length block is an
/// exact address.
fn value_test(kind: ObservableKind, text: &str) -> Option<Test> {
    match kind {
        ObservableKind::Ipv4 => {
            let (address, prefix) = split_cidr(text, 32)?;
            let address: u32 = address.parse::<Ipv4Addr>().ok()?.into();
            if prefix == 32 {
                return Some(Test::Equals(MatchKey::Ipv4(address)));
            }
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            Some(Test::InIpv4Network {
                network: address & mask,
                prefix,
            })
        }
        ObservableKind::Ipv6 => {
            let (address, prefix) = split_cidr(text, 128)?;
            let address: u128 = address.parse::<Ipv6Addr>().ok()?.into();
            if prefix == 128 {
                return Some(Test::Equals(MatchKey::Ipv6(address)));
            }
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            Some(Test::InIpv6Network {
                network: address & mask,
                prefix,
            })
        }
        other => MatchKey::new(other, text).map(Test::Equals),
    }
}

fn split_cidr(text: &str, full: u8) -> Option<(&str, u8)> {
    match text.split_once('/') {
        None => Some((text, full)),
        Some((address, prefix)) => {
            let prefix: u8 = prefix.parse().ok()?;
            (prefix <= full).then_some((address, prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Vec<Vec<Test>> {
        match Pattern::parse(text).unwrap().match_plan() {
            Matchability::Matchable(plan) => plan.alternatives,
            Matchability::Unsupported(why) => panic!("{text}: {}", why.en),
        }
    }

    fn why_unsupported(text: &str) -> String {
        match Pattern::parse(text).unwrap().match_plan() {
            Matchability::Matchable(plan) => panic!("{text} matched as {plan:?}"),
            Matchability::Unsupported(why) => why.en,
        }
    }

    fn v4(text: &str) -> MatchKey {
        MatchKey::Ipv4(text.parse::<Ipv4Addr>().unwrap().into())
    }

    #[test]
    fn the_c2_bundles_address_and_hash_patterns_become_exact_tests() {
        assert_eq!(
            plan("[ipv4-addr:value = '10.0.0.0']"),
            vec![vec![Test::Equals(v4("10.0.0.0"))]]
        );
        let sha = "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c";
        assert_eq!(
            plan(&format!("[file:hashes.'SHA-256' = '{sha}']")),
            vec![vec![Test::Equals(MatchKey::Hash(
                HashAlgorithm::Sha256,
                sha.into()
            ))]]
        );
        assert_eq!(
            plan("[file:hashes.MD5 = '1717B7FFF97D37A1E1A0029D83492DE1']"),
            vec![vec![Test::Equals(MatchKey::Hash(
                HashAlgorithm::Md5,
                "1717b7fff97d37a1e1a0029d83492de1".into()
            ))]]
        );
    }

    #[test]
    fn an_issubset_block_becomes_a_network_test() {
        assert_eq!(
            plan("[ipv4-addr:value ISSUBSET '198.51.100.7/24']"),
            vec![vec![Test::InIpv4Network {
                network: u32::from(Ipv4Addr::new(198, 51, 100, 0)),
                prefix: 24
            }]]
        );
        assert_eq!(plan("[ipv6-addr:value ISSUBSET '2001:db8::/32']").len(), 1);
    }

    #[test]
    fn or_and_and_inside_an_observation_and_or_between_observations_multiply_out() {
        let alternatives = plan(
            "[domain-name:value = 'a.example' OR (url:value = 'http://b.example/' AND email-addr:value = 'x@C.example')] OR [ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]",
        );
        assert_eq!(alternatives.len(), 4);
        assert_eq!(alternatives[1].len(), 2);
        assert_eq!(
            alternatives[1][1],
            Test::Equals(MatchKey::Email("x@c.example".into()))
        );
    }

    #[test]
    fn quotes_and_backslashes_can_be_escaped_in_values() {
        let pattern = Pattern::parse(r"[url:value = 'http://x.example/it\'s\\here']").unwrap();
        let Pattern::Observation(Comparison::Test(test)) = pattern else {
            panic!("{pattern:?}")
        };
        assert_eq!(
            test.value,
            Some(Literal::String(r"http://x.example/it's\here".into()))
        );
        let bad = Pattern::parse(r"[url:value = 'a\nb']").unwrap_err();
        assert!(bad.reason.en.contains("backslash"), "{}", bad.reason.en);
    }

    #[test]
    fn temporal_and_fuzzy_patterns_parse_but_are_not_matched() {
        for (text, expected) in [
            (
                "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'a.example']",
                "FOLLOWEDBY",
            ),
            (
                "[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES WITHIN 180 SECONDS",
                "qualifier",
            ),
            (r"[file:name MATCHES '^Final Report.+\\.exe$']", "file:name"),
            ("[domain-name:value LIKE '%.example']", "LIKE"),
            ("[url:value MATCHES '^http://']", "MATCHES"),
            (
                "[ipv4-addr:value = '192.0.2.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
                "START/STOP",
            ),
            ("[ipv4-addr:value NOT = '192.0.2.1']", "NOT"),
            (
                "[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'a.example']",
                "AND",
            ),
            (
                "[network-traffic:dst_port = 443]",
                "network-traffic:dst_port",
            ),
            ("[file:hashes.SSDEEP = '3:abc:def']", "file:hashes.SSDEEP"),
            ("[ipv4-addr:value = '300.1.1.1']", "not a valid"),
            (
                "[email-message:from_ref.value = 'a@b.example']",
                "from_ref.value",
            ),
        ] {
            let why = why_unsupported(text);
            assert!(why.contains(expected), "{text}: {why}");
            assert!(why.starts_with("not supported for matching"), "{why}");
        }
    }

    #[test]
    fn broken_patterns_say_where_they_broke() {
        for (text, offset) in [
            ("[ipv4-addr:value = '10.0.0.0'", 29),
            ("ipv4-addr:value = '10.0.0.0'", 0),
            ("[ipv4-addr:value = '10.0.0.0]", 19),
            ("[ipv4-addr:value ~ '10.0.0.0']", 17),
            ("[ipv4-addr:value = '10.0.0.0'] OR", 33),
            ("[ipv4-addr:value =]", 18),
        ] {
            let error = Pattern::parse(text).unwrap_err();
            assert_eq!(error.offset, offset, "{text}: {}", error.reason.en);
        }
    }

    #[test]
    fn absurdly_nested_patterns_are_refused_not_overflowing_the_stack() {
        let text = format!(
            "{}[ipv4-addr:value = '10.0.0.1']{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        let error = Pattern::parse(&text).unwrap_err();
        assert!(error.reason.en.contains("nested"), "{}", error.reason.en);
    }
}
