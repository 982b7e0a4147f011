//! The PartiQL subset DynamoDB accepts, from text to [`Statement`]: a tokenizer and a
//! recursive-descent parser that builds the **expression language's own AST**
//! ([`crate::expr::ast`]): WHERE clauses become [`Condition`]s, SET/REMOVE an
//! [`UpdateExpr`], projections [`Path`]s, so the one evaluator runs them.
//!
//! `?` parameters are bound while parsing, in order. Every recursion (parentheses, `NOT`,
//! nested literals, functions) counts against [`MAX_DEPTH`], and the text is bounded by
//! [`MAX_STATEMENT_BYTES`], so hostile input gets an error, never a stack overflow.

use std::collections::BTreeMap;

use super::PartiqlError;
use crate::expr::{
    Comparator, Condition, Operand, Path, PathElement, SetAction, SetValue, UpdateExpr,
    UpdateOperand,
};
use crate::types::{AttributeValue, Item, Number};

/// DynamoDB's limit on a statement's length.
pub const MAX_STATEMENT_BYTES: usize = 8192;
/// Nesting bound for parentheses, `NOT`, functions and nested literals.
pub const MAX_DEPTH: usize = 64;

/// What RETURNING asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    /// `RETURNING ALL OLD *`
    AllOld,
    /// `RETURNING ALL NEW *`
    AllNew,
    /// `RETURNING MODIFIED OLD *`
    ModifiedOld,
    /// `RETURNING MODIFIED NEW *`
    ModifiedNew,
}

/// `SELECT ... FROM table[.index] [WHERE ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// The table.
    pub table: String,
    /// The index, for `"table"."index"`.
    pub index: Option<String>,
    /// The projected paths; `None` for `*`.
    pub projection: Option<Vec<Path>>,
    /// The WHERE clause.
    pub condition: Option<Condition>,
}

/// One parsed statement, parameters bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// A read.
    Select(Select),
    /// `INSERT INTO table VALUE {...}`: fails if the key exists.
    Insert {
        /// The table.
        table: String,
        /// The whole item.
        item: Item,
    },
    /// `UPDATE table SET ... REMOVE ... WHERE ... [RETURNING ...]`.
    Update {
        /// The table.
        table: String,
        /// SET and REMOVE (and `set_add`/`set_delete` as ADD/DELETE).
        update: UpdateExpr,
        /// The WHERE clause (key equalities and any further condition).
        condition: Condition,
        /// RETURNING.
        returning: Option<Returning>,
    },
    /// `DELETE FROM table WHERE ... [RETURNING ALL OLD *]`.
    Delete {
        /// The table.
        table: String,
        /// The WHERE clause.
        condition: Condition,
        /// RETURNING.
        returning: Option<Returning>,
    },
    /// `EXISTS(SELECT ...)`: a condition check, in transactions only.
    Exists(Select),
}

impl Statement {
    /// Whether the statement reads (SELECT) rather than writes.
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select(_))
    }
}

/// Parses `text` with its `?` parameters.
///
/// # Errors
/// [`PartiqlError`]: too long, not well formed, too deep, parameter count mismatch,
/// invalid literal values.
pub fn parse(text: &str, params: &[AttributeValue]) -> Result<Statement, PartiqlError> {
    if text.len() > MAX_STATEMENT_BYTES {
        return Err(PartiqlError::TooLong { len: text.len() });
    }
    let tokens = tokenize(text)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        params,
        used: 0,
        depth: 0,
    };
    let statement = p.statement()?;
    p.expect_end()?;
    if p.used != params.len() {
        return Err(PartiqlError::ParameterCount);
    }
    Ok(statement)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A bare word (keywords too; compared case-insensitively).
    Word(String),
    /// `"quoted identifier"`.
    Quoted(String),
    /// `'string literal'`.
    Str(String),
    /// A number literal's text.
    Num(String),
    Param,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    LBag,
    RBag,
    Comma,
    Dot,
    Colon,
    Star,
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

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => w.clone(),
        Tok::Quoted(q) => format!("\"{q}\""),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Num(n) => n.clone(),
        Tok::Eof => "end of statement".into(),
        other => format!("{other:?}"),
    }
}

fn tokenize(text: &str) -> Result<Vec<Tok>, PartiqlError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let bad = |detail: String| PartiqlError::NotWellFormed { detail };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two = chars.get(i + 1).copied();
        let (tok, len) = match (c, two) {
            ('<', Some('<')) => (Tok::LBag, 2),
            ('>', Some('>')) => (Tok::RBag, 2),
            ('<', Some('=')) => (Tok::Le, 2),
            ('>', Some('=')) => (Tok::Ge, 2),
            ('<', Some('>')) | ('!', Some('=')) => (Tok::Ne, 2),
            ('<', _) => (Tok::Lt, 1),
            ('>', _) => (Tok::Gt, 1),
            ('=', _) => (Tok::Eq, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBracket, 1),
            (']', _) => (Tok::RBracket, 1),
            ('{', _) => (Tok::LBrace, 1),
            ('}', _) => (Tok::RBrace, 1),
            (',', _) => (Tok::Comma, 1),
            ('.', Some(d)) if d.is_ascii_digit() => {
                let (n, len) = number(&chars[i..]);
                (Tok::Num(n), len)
            }
            ('.', _) => (Tok::Dot, 1),
            (':', _) => (Tok::Colon, 1),
            ('*', _) => (Tok::Star, 1),
            ('+', _) => (Tok::Plus, 1),
            ('-', _) => (Tok::Minus, 1),
            ('?', _) => (Tok::Param, 1),
            ('\'', _) | ('"', _) => {
                let (s, len) =
                    quoted(&chars[i..], c).ok_or_else(|| bad("Unterminated quoted text".into()))?;
                (
                    if c == '\'' {
                        Tok::Str(s)
                    } else {
                        Tok::Quoted(s)
                    },
                    len,
                )
            }
            (d, _) if d.is_ascii_digit() => {
                let (n, len) = number(&chars[i..]);
                (Tok::Num(n), len)
            }
            (w, _) if w.is_alphabetic() || w == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_' || **c == '$')
                    .count();
                (Tok::Word(chars[i..i + len].iter().collect()), len)
            }
            (other, _) => return Err(bad(format!("Unexpected character: {other}"))),
        };
        out.push(tok);
        i += len;
    }
    out.push(Tok::Eof);
    Ok(out)
}

/// A quoted run starting at `chars[0]` (the quote), a doubled quote escaping one.
fn quoted(chars: &[char], quote: char) -> Option<(String, usize)> {
    let mut s = String::new();
    let mut i = 1;
    loop {
        let c = *chars.get(i)?;
        if c == quote {
            if chars.get(i + 1) == Some(&quote) {
                s.push(quote);
                i += 2;
                continue;
            }
            return Some((s, i + 1));
        }
        s.push(c);
        i += 1;
    }
}

/// Digits, an optional fraction and an optional exponent.
fn number(chars: &[char]) -> (String, usize) {
    let mut i = 0;
    let digits = |i: &mut usize| {
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
    };
    digits(&mut i);
    if chars.get(i) == Some(&'.') {
        i += 1;
        digits(&mut i);
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            i = j;
            digits(&mut i);
        }
    }
    (chars[..i].iter().collect(), i)
}

struct Parser<'p> {
    tokens: Vec<Tok>,
    pos: usize,
    params: &'p [AttributeValue],
    used: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self) -> PartiqlError {
        PartiqlError::NotWellFormed {
            detail: format!("Unexpected token: {}", describe(self.peek())),
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.is_keyword(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn keyword(&mut self, kw: &str) -> Result<(), PartiqlError> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(PartiqlError::NotWellFormed {
                detail: format!("Expected {kw}, found {}", describe(self.peek())),
            })
        }
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok) -> Result<(), PartiqlError> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expect_end(&mut self) -> Result<(), PartiqlError> {
        // A trailing semicolon is not PartiQL; anything left over is an error.
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn descend(&mut self) -> Result<(), PartiqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PartiqlError::NotWellFormed {
                detail: format!("Statement nested deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn ascend(&mut self) {
        self.depth -= 1;
    }

    fn statement(&mut self) -> Result<Statement, PartiqlError> {
        if self.eat_keyword("SELECT") {
            return Ok(Statement::Select(self.select_rest()?));
        }
        if self.eat_keyword("INSERT") {
            return self.insert_rest();
        }
        if self.eat_keyword("UPDATE") {
            return self.update_rest();
        }
        if self.eat_keyword("DELETE") {
            return self.delete_rest();
        }
        if self.eat_keyword("EXISTS") {
            self.expect(&Tok::LParen)?;
            self.keyword("SELECT")?;
            let select = self.select_rest()?;
            self.expect(&Tok::RParen)?;
            return Ok(Statement::Exists(select));
        }
        // DynamoDB's text for a statement that is not DML.
        Err(PartiqlError::NotWellFormed {
            detail: "Expected data manipulation".into(),
        })
    }

    fn name(&mut self) -> Result<String, PartiqlError> {
        match self.next() {
            Tok::Word(w) | Tok::Quoted(w) => Ok(w),
            other => Err(PartiqlError::NotWellFormed {
                detail: format!("Expected an identifier, found {}", describe(&other)),
            }),
        }
    }

    /// `table` or `table.index` (either part quoted or not).
    fn table(&mut self) -> Result<(String, Option<String>), PartiqlError> {
        let table = self.name()?;
        let index = if self.eat(&Tok::Dot) {
            Some(self.name()?)
        } else {
            None
        };
        Ok((table, index))
    }

    fn select_rest(&mut self) -> Result<Select, PartiqlError> {
        let projection = if self.eat(&Tok::Star) {
            None
        } else {
            let mut paths = vec![self.path()?];
            while self.eat(&Tok::Comma) {
                paths.push(self.path()?);
            }
            Some(paths)
        };
        self.keyword("FROM")?;
        let (table, index) = self.table()?;
        let condition = if self.eat_keyword("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        Ok(Select {
            table,
            index,
            projection,
            condition,
        })
    }

    fn insert_rest(&mut self) -> Result<Statement, PartiqlError> {
        self.keyword("INTO")?;
        let table = self.name()?;
        self.keyword("VALUE")?;
        let item = match self.value()? {
            AttributeValue::M(m) => m,
            _ => {
                return Err(PartiqlError::NotWellFormed {
                    detail: "INSERT's VALUE must be a tuple: {'attribute': value, ...}".into(),
                })
            }
        };
        Ok(Statement::Insert { table, item })
    }

    fn update_rest(&mut self) -> Result<Statement, PartiqlError> {
        let table = self.name()?;
        let mut update = UpdateExpr::default();
        let mut any = false;
        loop {
            if self.eat_keyword("SET") {
                loop {
                    self.set_action(&mut update)?;
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
            } else if self.eat_keyword("REMOVE") {
                loop {
                    update.remove.push(self.path()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
            } else {
                break;
            }
            any = true;
        }
        if !any {
            return Err(PartiqlError::NotWellFormed {
                detail: format!("Expected SET or REMOVE, found {}", describe(self.peek())),
            });
        }
        self.keyword("WHERE")?;
        let condition = self.condition()?;
        let returning = self.returning()?;
        Ok(Statement::Update {
            table,
            update,
            condition,
            returning,
        })
    }

    fn delete_rest(&mut self) -> Result<Statement, PartiqlError> {
        self.keyword("FROM")?;
        let table = self.name()?;
        self.keyword("WHERE")?;
        let condition = self.condition()?;
        let returning = self.returning()?;
        if returning.is_some_and(|r| r != Returning::AllOld) {
            return Err(PartiqlError::NotWellFormed {
                detail: "Only RETURNING ALL OLD * is allowed in DELETE statements".into(),
            });
        }
        Ok(Statement::Delete {
            table,
            condition,
            returning,
        })
    }

    fn returning(&mut self) -> Result<Option<Returning>, PartiqlError> {
        if !self.eat_keyword("RETURNING") {
            return Ok(None);
        }
        let all = if self.eat_keyword("ALL") {
            true
        } else {
            self.keyword("MODIFIED")?;
            false
        };
        let old = if self.eat_keyword("OLD") {
            true
        } else {
            self.keyword("NEW")?;
            false
        };
        self.expect(&Tok::Star)?;
        Ok(Some(match (all, old) {
            (true, true) => Returning::AllOld,
            (true, false) => Returning::AllNew,
            (false, true) => Returning::ModifiedOld,
            (false, false) => Returning::ModifiedNew,
        }))
    }

    /// `path = value`, where value is an operand, `a + b`, `a - b`, `list_append(a, b)`,
    /// `set_add(path, set)` or `set_delete(path, set)`.
    fn set_action(&mut self, update: &mut UpdateExpr) -> Result<(), PartiqlError> {
        let path = self.path()?;
        self.expect(&Tok::Eq)?;
        for (func, add) in [("set_add", true), ("set_delete", false)] {
            if self.is_keyword(func) && self.tokens.get(self.pos + 1) == Some(&Tok::LParen) {
                self.pos += 2;
                let target = self.path()?;
                self.expect(&Tok::Comma)?;
                let value = self.value()?;
                self.expect(&Tok::RParen)?;
                if target != path {
                    return Err(PartiqlError::NotWellFormed {
                        detail: format!("{func} must name the attribute it assigns"),
                    });
                }
                if add {
                    update.add.push((path, value));
                } else {
                    update.delete.push((path, value));
                }
                return Ok(());
            }
        }
        let first = self.update_operand()?;
        let value = if self.eat(&Tok::Plus) {
            SetValue::Plus(first, self.update_operand()?)
        } else if self.eat(&Tok::Minus) {
            SetValue::Minus(first, self.update_operand()?)
        } else {
            SetValue::Operand(first)
        };
        update.set.push(SetAction { path, value });
        Ok(())
    }

    fn update_operand(&mut self) -> Result<UpdateOperand, PartiqlError> {
        self.descend()?;
        let out = if self.is_keyword("list_append")
            && self.tokens.get(self.pos + 1) == Some(&Tok::LParen)
        {
            self.pos += 2;
            let a = self.update_operand()?;
            self.expect(&Tok::Comma)?;
            let b = self.update_operand()?;
            self.expect(&Tok::RParen)?;
            UpdateOperand::ListAppend(Box::new(a), Box::new(b))
        } else if self.starts_path() {
            UpdateOperand::Path(self.path()?)
        } else {
            UpdateOperand::Value(self.value()?)
        };
        self.ascend();
        Ok(out)
    }

    fn starts_path(&self) -> bool {
        match self.peek() {
            Tok::Quoted(_) => true,
            Tok::Word(w) => !["TRUE", "FALSE", "NULL", "MISSING"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k)),
            _ => false,
        }
    }

    /// `name ( . name | [ n ] )*`.
    fn path(&mut self) -> Result<Path, PartiqlError> {
        let mut elements = vec![PathElement::Key(self.name()?)];
        loop {
            if self.eat(&Tok::Dot) {
                elements.push(PathElement::Key(self.name()?));
            } else if self.eat(&Tok::LBracket) {
                let index = match self.next() {
                    Tok::Num(n) => n.parse::<u32>().ok(),
                    _ => None,
                }
                .ok_or_else(|| PartiqlError::NotWellFormed {
                    detail: "Expected a list index".into(),
                })?;
                self.expect(&Tok::RBracket)?;
                elements.push(PathElement::Index(index));
            } else {
                break;
            }
            if elements.len() > crate::expr::MAX_PATH_ELEMENTS {
                return Err(PartiqlError::NotWellFormed {
                    detail: "Document path too long".into(),
                });
            }
        }
        Path::from_elements(elements).ok_or_else(|| PartiqlError::NotWellFormed {
            detail: "Invalid document path".into(),
        })
    }

    /// A literal, a parameter, or a nested tuple, list or bag.
    fn value(&mut self) -> Result<AttributeValue, PartiqlError> {
        self.descend()?;
        let v = self.value_inner();
        self.ascend();
        v
    }

    fn value_inner(&mut self) -> Result<AttributeValue, PartiqlError> {
        match self.next() {
            Tok::Str(s) => Ok(AttributeValue::S(s)),
            Tok::Num(n) => parse_number(&n),
            Tok::Minus => match self.next() {
                Tok::Num(n) => parse_number(&format!("-{n}")),
                other => Err(PartiqlError::NotWellFormed {
                    detail: format!("Expected a number after '-', found {}", describe(&other)),
                }),
            },
            Tok::Param => {
                let v = self
                    .params
                    .get(self.used)
                    .cloned()
                    .ok_or(PartiqlError::ParameterCount)?;
                self.used += 1;
                Ok(v)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("TRUE") => Ok(AttributeValue::Bool(true)),
            Tok::Word(w) if w.eq_ignore_ascii_case("FALSE") => Ok(AttributeValue::Bool(false)),
            Tok::Word(w) if w.eq_ignore_ascii_case("NULL") => Ok(AttributeValue::Null(true)),
            Tok::LBrace => {
                let mut map = BTreeMap::new();
                if !self.eat(&Tok::RBrace) {
                    loop {
                        let key = match self.next() {
                            Tok::Str(k) => k,
                            other => {
                                return Err(PartiqlError::NotWellFormed {
                                    detail: format!(
                                        "Expected a quoted attribute name, found {}",
                                        describe(&other)
                                    ),
                                })
                            }
                        };
                        self.expect(&Tok::Colon)?;
                        let v = self.value()?;
                        if map.insert(key.clone(), v).is_some() {
                            return Err(PartiqlError::NotWellFormed {
                                detail: format!("Duplicate attribute name: {key}"),
                            });
                        }
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                    self.expect(&Tok::RBrace)?;
                }
                Ok(AttributeValue::M(map))
            }
            Tok::LBracket => {
                let mut list = Vec::new();
                if !self.eat(&Tok::RBracket) {
                    loop {
                        list.push(self.value()?);
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                    self.expect(&Tok::RBracket)?;
                }
                Ok(AttributeValue::L(list))
            }
            Tok::LBag => {
                let mut members = Vec::new();
                loop {
                    members.push(self.value()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                self.expect(&Tok::RBag)?;
                bag(members)
            }
            other => Err(PartiqlError::NotWellFormed {
                detail: format!("Expected a value, found {}", describe(&other)),
            }),
        }
    }

    fn condition(&mut self) -> Result<Condition, PartiqlError> {
        self.descend()?;
        let mut left = self.and_condition()?;
        while self.eat_keyword("OR") {
            let right = self.and_condition()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        self.ascend();
        Ok(left)
    }

    fn and_condition(&mut self) -> Result<Condition, PartiqlError> {
        let mut left = self.not_condition()?;
        while self.eat_keyword("AND") {
            let right = self.not_condition()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not_condition(&mut self) -> Result<Condition, PartiqlError> {
        if self.eat_keyword("NOT") {
            self.descend()?;
            let inner = self.not_condition()?;
            self.ascend();
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Condition, PartiqlError> {
        if self.eat(&Tok::LParen) {
            let c = self.condition()?;
            self.expect(&Tok::RParen)?;
            return Ok(c);
        }
        if let Some(c) = self.function_condition()? {
            return Ok(c);
        }
        let operand = self.operand()?;
        let comparator = match self.peek() {
            Tok::Eq => Some(Comparator::Eq),
            Tok::Ne => Some(Comparator::Ne),
            Tok::Lt => Some(Comparator::Lt),
            Tok::Le => Some(Comparator::Le),
            Tok::Gt => Some(Comparator::Gt),
            Tok::Ge => Some(Comparator::Ge),
            _ => None,
        };
        if let Some(comparator) = comparator {
            self.pos += 1;
            let right = self.operand()?;
            return Ok(Condition::Compare {
                left: operand,
                comparator,
                right,
            });
        }
        if self.eat_keyword("BETWEEN") {
            let low = self.operand()?;
            self.keyword("AND")?;
            let high = self.operand()?;
            return Ok(Condition::Between { operand, low, high });
        }
        if self.eat_keyword("IN") {
            let close = if self.eat(&Tok::LBracket) {
                Tok::RBracket
            } else {
                self.expect(&Tok::LParen)?;
                Tok::RParen
            };
            let mut candidates = vec![self.operand()?];
            while self.eat(&Tok::Comma) {
                candidates.push(self.operand()?);
                if candidates.len() > crate::expr::MAX_IN_OPERANDS {
                    return Err(PartiqlError::NotWellFormed {
                        detail: format!("IN takes at most {} values", crate::expr::MAX_IN_OPERANDS),
                    });
                }
            }
            self.expect(&close)?;
            return Ok(Condition::In {
                operand,
                candidates,
            });
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            let Operand::Path(path) = operand else {
                return Err(PartiqlError::NotWellFormed {
                    detail: "IS needs an attribute on its left".into(),
                });
            };
            let c = if self.eat_keyword("MISSING") {
                Condition::AttributeNotExists(path)
            } else if self.eat_keyword("NULL") {
                Condition::AttributeType {
                    path,
                    type_name: Operand::Value(AttributeValue::S("NULL".into())),
                }
            } else {
                return Err(self.unexpected());
            };
            return Ok(if negated {
                match c {
                    Condition::AttributeNotExists(p) => Condition::AttributeExists(p),
                    other => Condition::Not(Box::new(other)),
                }
            } else {
                c
            });
        }
        Err(self.unexpected())
    }

    /// `begins_with(a, b)`, `contains(a, b)`, `attribute_type(path, t)`.
    fn function_condition(&mut self) -> Result<Option<Condition>, PartiqlError> {
        let Tok::Word(w) = self.peek() else {
            return Ok(None);
        };
        let name = w.to_ascii_lowercase();
        if !["begins_with", "contains", "attribute_type"].contains(&name.as_str())
            || self.tokens.get(self.pos + 1) != Some(&Tok::LParen)
        {
            return Ok(None);
        }
        self.pos += 2;
        self.descend()?;
        let first = self.operand()?;
        self.expect(&Tok::Comma)?;
        let second = self.operand()?;
        self.expect(&Tok::RParen)?;
        self.ascend();
        Ok(Some(match name.as_str() {
            "begins_with" => Condition::BeginsWith {
                operand: first,
                prefix: second,
            },
            "contains" => Condition::Contains {
                operand: first,
                element: second,
            },
            _ => match first {
                Operand::Path(path) => Condition::AttributeType {
                    path,
                    type_name: second,
                },
                _ => {
                    return Err(PartiqlError::NotWellFormed {
                        detail: "attribute_type needs an attribute".into(),
                    })
                }
            },
        }))
    }

    /// An attribute path, `size(path)`, or a value.
    fn operand(&mut self) -> Result<Operand, PartiqlError> {
        if self.is_keyword("size") && self.tokens.get(self.pos + 1) == Some(&Tok::LParen) {
            self.pos += 2;
            let path = self.path()?;
            self.expect(&Tok::RParen)?;
            return Ok(Operand::Size(path));
        }
        if self.starts_path() {
            return Ok(Operand::Path(self.path()?));
        }
        Ok(Operand::Value(self.value()?))
    }
}

fn parse_number(text: &str) -> Result<AttributeValue, PartiqlError> {
    Number::parse(text)
        .map(AttributeValue::N)
        .map_err(|e| PartiqlError::InvalidValue {
            detail: e.to_string(),
        })
}

/// `<<...>>`: a string, number or binary set (one type, no duplicates checked here: the
/// item's validation does that).
fn bag(members: Vec<AttributeValue>) -> Result<AttributeValue, PartiqlError> {
    let mixed = || PartiqlError::InvalidValue {
        detail: "A set's members must all be strings, all numbers or all binary".into(),
    };
    match members.first() {
        Some(AttributeValue::S(_)) => members
            .into_iter()
            .map(|m| match m {
                AttributeValue::S(s) => Ok(s),
                _ => Err(mixed()),
            })
            .collect::<Result<_, _>>()
            .map(AttributeValue::Ss),
        Some(AttributeValue::N(_)) => members
            .into_iter()
            .map(|m| match m {
                AttributeValue::N(n) => Ok(n),
                _ => Err(mixed()),
            })
            .collect::<Result<_, _>>()
            .map(AttributeValue::Ns),
        Some(AttributeValue::B(_)) => members
            .into_iter()
            .map(|m| match m {
                AttributeValue::B(b) => Ok(b),
                _ => Err(mixed()),
            })
            .collect::<Result<_, _>>()
            .map(AttributeValue::Bs),
        _ => Err(mixed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn path(p: &str) -> Path {
        Path::attribute(p)
    }

    #[test]
    fn select_with_a_where_and_parameters() {
        let st = parse(
            r#"SELECT a, "b".c, d[2] FROM "Music"."ByYear" WHERE Artist = ? AND year >= 1990"#,
            &[s("Acme")],
        )
        .unwrap();
        let Statement::Select(sel) = st else {
            panic!("{st:?}")
        };
        assert_eq!(sel.table, "Music");
        assert_eq!(sel.index.as_deref(), Some("ByYear"));
        assert_eq!(sel.projection.as_ref().unwrap().len(), 3);
        let Some(Condition::And(l, _)) = sel.condition else {
            panic!()
        };
        assert_eq!(
            *l,
            Condition::Compare {
                left: Operand::Path(path("Artist")),
                comparator: Comparator::Eq,
                right: Operand::Value(s("Acme")),
            }
        );
    }

    #[test]
    fn insert_takes_nested_literals() {
        let st = parse(
            "insert into T value {'pk': 'a', 'n': -1.5e3, 'm': {'l': [1, 'x', true, null]}, 'ss': <<'a', 'b'>>}",
            &[],
        )
        .unwrap();
        let Statement::Insert { table, item } = st else {
            panic!()
        };
        assert_eq!(table, "T");
        assert_eq!(item["pk"], s("a"));
        assert!(matches!(item["ss"], AttributeValue::Ss(ref v) if v.len() == 2));
        assert!(matches!(item["m"], AttributeValue::M(_)));
    }

    #[test]
    fn update_and_delete_build_the_expression_ast() {
        let st = parse(
            "UPDATE T SET a = a + 1, b = list_append(b, [2]) REMOVE c SET d = set_add(d, <<'x'>>) WHERE pk = 'k' RETURNING ALL NEW *",
            &[],
        )
        .unwrap();
        let Statement::Update {
            update, returning, ..
        } = st
        else {
            panic!()
        };
        assert_eq!(update.set.len(), 2);
        assert_eq!(update.remove, vec![path("c")]);
        assert_eq!(update.add.len(), 1);
        assert_eq!(returning, Some(Returning::AllNew));
        assert!(matches!(
            parse("DELETE FROM T WHERE pk = 'k' AND a IS NOT MISSING", &[]).unwrap(),
            Statement::Delete { .. }
        ));
        assert!(parse("DELETE FROM T WHERE pk = 'k' RETURNING ALL NEW *", &[]).is_err());
    }

    #[test]
    fn errors_are_dynamodbs() {
        let e = parse("CREATE TABLE x", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Statement wasn't well formed, can't be processed: Expected data manipulation"
        );
        assert!(matches!(
            parse("SELECT * FROM T WHERE a = ?", &[]),
            Err(PartiqlError::ParameterCount)
        ));
        assert!(matches!(
            parse("SELECT * FROM T", &[s("x")]),
            Err(PartiqlError::ParameterCount)
        ));
        assert!(parse("SELECT * FROM T WHERE", &[]).is_err());
        assert!(parse("SELECT * FROM T extra", &[]).is_err());
        assert!(parse("SELECT * FROM T WHERE a = 'unterminated", &[]).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!(
            "SELECT * FROM T WHERE {}a = 1{}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        assert!(parse(&deep, &[]).is_err());
        let nots = format!("SELECT * FROM T WHERE {} a = 1", "NOT ".repeat(1000));
        assert!(parse(&nots, &[]).is_err());
        let lists = format!(
            "INSERT INTO T VALUE {{'pk': {}1{}}}",
            "[".repeat(1000),
            "]".repeat(1000)
        );
        assert!(parse(&lists, &[]).is_err());
    }
}
