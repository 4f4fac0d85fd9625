//! The recursive-descent parser over the STIX patterning grammar: FOLLOWEDBY binds loosest,
//! then OR, then AND, for observations and for comparisons alike; nesting is bounded.

use super::lexer::{Token, TokenKind, lex, lex_error};
use super::{
    Comparison, Literal, ObjectPath, Operator, PathStep, Pattern, PatternError, PropertyTest,
    Qualifier,
};

/// How deep parentheses and brackets may nest; deeper input is refused rather than risking
/// the stack.
const MAX_DEPTH: usize = 64;

pub(super) fn parse(text: &str) -> Result<Pattern, PatternError> {
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
