//! Recursive-descent parsers for condition/filter, projection and update expressions.
//!
//! Grammar (keywords and `AND`/`OR`/`NOT` are case-insensitive; function names are not):
//! ```text
//! condition  := or
//! or         := and ("OR" and)*
//! and        := not ("AND" not)*
//! not        := "NOT" not | primary
//! primary    := "(" condition ")" | function | operand comparison
//! comparison := comparator operand | "BETWEEN" operand "AND" operand
//!             | "IN" "(" operand ("," operand)* ")"
//! operand    := path | :value | "size" "(" path ")"
//! path       := (name | #name) ("." (name | #name) | "[" digits "]")*
//! update     := (("SET" set ("," set)*) | ("REMOVE" path ("," path)*)
//!              | ("ADD" path :value ("," path :value)*) | ("DELETE" …same…))+
//! set        := path "=" update_operand (("+" | "-") update_operand)?
//! update_operand := path | :value | "if_not_exists" "(" path "," update_operand ")"
//!              | "list_append" "(" update_operand "," update_operand ")"
//! projection := path ("," path)*
//! ```
//! Every recursion passes through [`Parser::enter`], which bounds nesting by
//! [`MAX_EXPRESSION_DEPTH`]; operator count and input length are bounded too, so hostile
//! input gets a typed error, never a stack overflow.

use super::ast::{
    Comparator, Condition, Operand, Path, PathElement, Projection, SetAction, SetValue, UpdateExpr,
    UpdateOperand,
};
use super::error::{ExprError, ExprKind};
use super::lexer::{syntax_error, tokenize, Token, TokenKind};
use super::placeholders::Placeholders;
use super::reserved::is_reserved_word;
use super::{
    MAX_EXPRESSION_BYTES, MAX_EXPRESSION_DEPTH, MAX_IN_OPERANDS, MAX_OPERATORS, MAX_PATH_ELEMENTS,
};
use crate::types::AttributeValue;

/// The type names `attribute_type` accepts.
pub(crate) const TYPE_NAMES: [&str; 10] =
    ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];

/// Parses a condition (`kind` = Condition, Filter or KeyCondition).
///
/// # Errors
/// Any [`ExprError`] about syntax, limits, functions, operand types or placeholders.
pub fn parse_condition(
    text: &str,
    kind: ExprKind,
    placeholders: &mut Placeholders<'_>,
) -> Result<Condition, ExprError> {
    let mut parser = Parser::new(text, kind, placeholders)?;
    let condition = parser.condition()?;
    parser.expect_end()?;
    // After the whole expression parsed: DynamoDB reports `((x))` before a repeated
    // operand that comes earlier in the text.
    match parser.not_distinct.take() {
        Some(e) => Err(e),
        None => Ok(condition),
    }
}

/// Parses a projection expression. Overlapping paths are an error, as in DynamoDB.
///
/// # Errors
/// Any [`ExprError`] about syntax, limits, placeholders or overlapping paths.
pub fn parse_projection(
    text: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<Projection, ExprError> {
    let mut parser = Parser::new(text, ExprKind::Projection, placeholders)?;
    let mut paths = vec![parser.path()?];
    while parser.peek() == TokenKind::Comma {
        parser.advance();
        parser.count_operator()?;
        paths.push(parser.path()?);
    }
    parser.expect_end()?;
    check_paths_disjoint(paths.iter(), ExprKind::Projection)?;
    Ok(paths)
}

/// Parses an update expression. Clauses may come in any order, each at most once;
/// the paths written must not overlap or conflict.
///
/// # Errors
/// Any [`ExprError`] about syntax, limits, operand types, placeholders, repeated clauses or
/// overlapping paths.
pub fn parse_update(
    text: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<UpdateExpr, ExprError> {
    let mut parser = Parser::new(text, ExprKind::Update, placeholders)?;
    let mut update = UpdateExpr::default();
    let mut seen = [false; 4];
    while parser.peek() != TokenKind::Eof {
        let token = parser.advance();
        let TokenKind::Ident(word) = token.kind else {
            return Err(parser.error_at(token));
        };
        let (index, section) = match word.to_ascii_uppercase().as_str() {
            "SET" => (0, "SET"),
            "REMOVE" => (1, "REMOVE"),
            "ADD" => (2, "ADD"),
            "DELETE" => (3, "DELETE"),
            _ => return Err(parser.error_at(token)),
        };
        if seen[index] {
            return Err(ExprError::DuplicateSection { section });
        }
        seen[index] = true;
        loop {
            parser.count_operator()?;
            match index {
                0 => update.set.push(parser.set_action()?),
                1 => update.remove.push(parser.path()?),
                2 => {
                    let path = parser.path()?;
                    let value = parser.value_placeholder()?;
                    if !matches!(
                        value,
                        AttributeValue::N(_)
                            | AttributeValue::Ss(_)
                            | AttributeValue::Ns(_)
                            | AttributeValue::Bs(_)
                    ) {
                        return Err(parser.operand_type_error("ADD", &value));
                    }
                    update.add.push((path, value));
                }
                _ => {
                    let path = parser.path()?;
                    let value = parser.value_placeholder()?;
                    if !matches!(
                        value,
                        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
                    ) {
                        return Err(parser.operand_type_error("DELETE", &value));
                    }
                    update.delete.push((path, value));
                }
            }
            if parser.peek() != TokenKind::Comma {
                break;
            }
            parser.advance();
        }
    }
    check_paths_disjoint(update.target_paths().into_iter(), ExprKind::Update)?;
    Ok(update)
}

/// Rejects two paths where one contains the other, or where one indexes a list and the
/// other a map at the same position. After sorting, any offending pair has an offending
/// pair of neighbours: every path sorted between a prefix and its extension shares the
/// prefix, and between a `.key` and an `[index]` at one position the element kind must
/// switch somewhere, at a neighbouring pair. So checking neighbours is enough.
pub(crate) fn check_paths_disjoint<'p>(
    paths: impl Iterator<Item = &'p Path>,
    kind: ExprKind,
) -> Result<(), ExprError> {
    let mut sorted: Vec<&Path> = paths.collect();
    sorted.sort();
    for pair in sorted.windows(2) {
        let (first, second) = (pair[0], pair[1]);
        if first.is_prefix_of(second) {
            return Err(ExprError::PathsOverlap {
                kind,
                first: first.to_string(),
                second: second.to_string(),
            });
        }
        let diverge = first
            .elements()
            .iter()
            .zip(second.elements())
            .find(|(a, b)| a != b);
        if let Some((a, b)) = diverge {
            let conflict = matches!(
                (a, b),
                (PathElement::Key(_), PathElement::Index(_))
                    | (PathElement::Index(_), PathElement::Key(_))
            );
            if conflict {
                return Err(ExprError::PathsConflict {
                    kind,
                    first: first.to_string(),
                    second: second.to_string(),
                });
            }
        }
    }
    Ok(())
}

struct Parser<'t, 'p, 'a> {
    text: &'t str,
    tokens: Vec<Token<'t>>,
    pos: usize,
    kind: ExprKind,
    depth: usize,
    operators: usize,
    placeholders: &'p mut Placeholders<'a>,
    /// The token positions of the `(` and `)` of the parenthesized condition completed
    /// last: how `((x))` is recognised.
    last_parens: Option<(usize, usize)>,
    /// The first operator found with a repeated first operand, reported once the whole
    /// condition has parsed ([`parse_condition`]).
    not_distinct: Option<ExprError>,
}

impl<'t, 'p, 'a> Parser<'t, 'p, 'a> {
    fn new(
        text: &'t str,
        kind: ExprKind,
        placeholders: &'p mut Placeholders<'a>,
    ) -> Result<Self, ExprError> {
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(ExprError::TooLong {
                kind,
                len: text.len(),
            });
        }
        if text.trim().is_empty() {
            return Err(ExprError::Empty { kind });
        }
        let tokens = tokenize(text, kind)?;
        Ok(Parser {
            text,
            tokens,
            pos: 0,
            kind,
            depth: 0,
            operators: 0,
            placeholders,
            last_parens: None,
            not_distinct: None,
        })
    }

    fn peek(&self) -> TokenKind<'t> {
        self.tokens[self.pos].kind
    }

    fn peek_second(&self) -> TokenKind<'t> {
        self.tokens
            .get(self.pos + 1)
            .map_or(TokenKind::Eof, |t| t.kind)
    }

    /// Consumes a token; stays on `Eof` at the end.
    fn advance(&mut self) -> Token<'t> {
        let token = self.tokens[self.pos];
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn error_at(&self, token: Token<'_>) -> ExprError {
        syntax_error(self.text, self.kind, token.start, token.end)
    }

    fn error_here(&self) -> ExprError {
        self.error_at(self.tokens[self.pos])
    }

    fn expect(&mut self, expected: TokenKind<'_>) -> Result<(), ExprError> {
        if self.peek() == expected {
            self.advance();
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn expect_end(&self) -> Result<(), ExprError> {
        if self.peek() == TokenKind::Eof {
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), TokenKind::Ident(word) if word.eq_ignore_ascii_case(keyword))
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_EXPRESSION_DEPTH {
            return Err(ExprError::TooDeep {
                kind: self.kind,
                max: MAX_EXPRESSION_DEPTH,
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn count_operator(&mut self) -> Result<(), ExprError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(ExprError::TooManyOperators {
                kind: self.kind,
                max: MAX_OPERATORS,
            });
        }
        Ok(())
    }

    fn operand_type_error(&self, operator: &'static str, value: &AttributeValue) -> ExprError {
        ExprError::IncorrectOperandType {
            kind: self.kind,
            operator,
            operand_type: value.type_tag(),
        }
    }

    // ---- conditions ----

    fn condition(&mut self) -> Result<Condition, ExprError> {
        self.enter()?;
        let mut left = self.and()?;
        while self.at_keyword("OR") {
            self.advance();
            self.count_operator()?;
            let right = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        self.leave();
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, ExprError> {
        let mut left = self.not()?;
        while self.at_keyword("AND") {
            self.advance();
            self.count_operator()?;
            let right = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition, ExprError> {
        if self.at_keyword("NOT") {
            self.advance();
            self.count_operator()?;
            self.enter()?;
            let inner = self.not()?;
            self.leave();
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, ExprError> {
        if self.peek() == TokenKind::LParen {
            let open = self.pos;
            self.advance();
            let inner = self.condition()?;
            let close = self.pos;
            self.expect(TokenKind::RParen)?;
            // The condition inside is itself one parenthesized condition: `((x))`.
            if self.last_parens == Some((open + 1, close - 1)) {
                return Err(ExprError::RedundantParentheses { kind: self.kind });
            }
            self.last_parens = Some((open, close));
            return Ok(inner);
        }
        if let (TokenKind::Ident(name), TokenKind::LParen) = (self.peek(), self.peek_second()) {
            if name != "size" {
                return self.condition_function(name);
            }
        }
        let left = self.operand()?;
        self.comparison(left)
    }

    fn comparison(&mut self, left: Operand) -> Result<Condition, ExprError> {
        let comparator = match self.peek() {
            TokenKind::Eq => Some(Comparator::Eq),
            TokenKind::Ne => Some(Comparator::Ne),
            TokenKind::Lt => Some(Comparator::Lt),
            TokenKind::Le => Some(Comparator::Le),
            TokenKind::Gt => Some(Comparator::Gt),
            TokenKind::Ge => Some(Comparator::Ge),
            _ => None,
        };
        if let Some(comparator) = comparator {
            self.advance();
            self.count_operator()?;
            let right = self.operand()?;
            if !matches!(comparator, Comparator::Eq | Comparator::Ne) {
                self.check_scalar_constant(comparator.symbol(), &left)?;
                self.check_scalar_constant(comparator.symbol(), &right)?;
            }
            self.check_distinct(comparator.symbol(), &left, [&right]);
            return Ok(Condition::Compare {
                left,
                comparator,
                right,
            });
        }
        if self.at_keyword("BETWEEN") {
            self.advance();
            self.count_operator()?;
            let low = self.operand()?;
            if !self.at_keyword("AND") {
                return Err(self.error_here());
            }
            self.advance();
            let high = self.operand()?;
            for operand in [&left, &low, &high] {
                self.check_scalar_constant("BETWEEN", operand)?;
            }
            self.check_distinct("BETWEEN", &left, [&low, &high]);
            if let (Operand::Value(low_value), Operand::Value(high_value)) = (&low, &high) {
                if super::eval::compare_scalars(low_value, high_value)
                    == Some(std::cmp::Ordering::Greater)
                {
                    return Err(ExprError::BetweenBoundsReversed {
                        kind: self.kind,
                        low: short_value(low_value),
                        high: short_value(high_value),
                    });
                }
            }
            return Ok(Condition::Between {
                operand: left,
                low,
                high,
            });
        }
        if self.at_keyword("IN") {
            self.advance();
            self.count_operator()?;
            self.expect(TokenKind::LParen)?;
            let mut candidates = vec![self.operand()?];
            while self.peek() == TokenKind::Comma {
                self.advance();
                candidates.push(self.operand()?);
                if candidates.len() > MAX_IN_OPERANDS {
                    return Err(ExprError::TooManyInOperands {
                        kind: self.kind,
                        count: candidates.len(),
                    });
                }
            }
            self.expect(TokenKind::RParen)?;
            self.check_distinct("IN", &left, candidates.iter());
            return Ok(Condition::In {
                operand: left,
                candidates,
            });
        }
        if matches!(left, Operand::Size(_)) {
            return Err(ExprError::FunctionMisuse {
                kind: self.kind,
                function: "size",
            });
        }
        Err(self.error_here())
    }

    /// Notes `operator` whose first operand, a path, is repeated among `others` (the
    /// first such, reported when the condition has parsed).
    fn check_distinct<'o>(
        &mut self,
        operator: &'static str,
        first: &Operand,
        others: impl IntoIterator<Item = &'o Operand>,
    ) {
        let Operand::Path(path) = first else {
            return;
        };
        let repeated = others
            .into_iter()
            .any(|o| matches!(o, Operand::Path(p) if p == path));
        if repeated && self.not_distinct.is_none() {
            self.not_distinct = Some(ExprError::OperandNotDistinct {
                kind: self.kind,
                operator,
                operand: path.to_string(),
            });
        }
    }

    /// Ordering operators take numbers, strings and binaries only.
    fn check_scalar_constant(
        &self,
        operator: &'static str,
        operand: &Operand,
    ) -> Result<(), ExprError> {
        match operand {
            Operand::Value(AttributeValue::N(_) | AttributeValue::S(_) | AttributeValue::B(_)) => {
                Ok(())
            }
            Operand::Value(other) => Err(self.operand_type_error(operator, other)),
            _ => Ok(()),
        }
    }

    /// A boolean function at the start of a primary; the name token is current.
    fn condition_function(&mut self, name: &'t str) -> Result<Condition, ExprError> {
        let function: &'static str = match name {
            "attribute_exists" => "attribute_exists",
            "attribute_not_exists" => "attribute_not_exists",
            "attribute_type" => "attribute_type",
            "begins_with" => "begins_with",
            "contains" => "contains",
            _ => {
                return Err(ExprError::InvalidFunction {
                    kind: self.kind,
                    function: name.to_string(),
                })
            }
        };
        self.advance();
        self.count_operator()?;
        let mut args = self.arguments(function)?;
        let arity = if function.starts_with("attribute_") && function != "attribute_type" {
            1
        } else {
            2
        };
        if args.len() != arity {
            return Err(ExprError::WrongOperandCount {
                kind: self.kind,
                function,
                count: args.len(),
            });
        }
        let second = if arity == 2 { args.pop() } else { None };
        let first = args.pop().expect("arity checked above");
        if let Some(second) = &second {
            self.check_distinct(function, &first, [second]);
            // size() is a number: no type name, and no prefix.
            if matches!(second, Operand::Size(_))
                && matches!(function, "attribute_type" | "begins_with")
            {
                return Err(ExprError::IncorrectOperandType {
                    kind: self.kind,
                    operator: function,
                    operand_type: "N",
                });
            }
        }
        let require_path = |operand: Operand| match operand {
            Operand::Path(path) => Ok(path),
            _ => Err(ExprError::RequiresPath {
                kind: self.kind,
                function,
            }),
        };
        Ok(match (function, second) {
            ("attribute_exists", None) => Condition::AttributeExists(require_path(first)?),
            ("attribute_not_exists", None) => Condition::AttributeNotExists(require_path(first)?),
            ("attribute_type", Some(type_name)) => {
                let path = require_path(first)?;
                if let Operand::Value(value) = &type_name {
                    match value {
                        AttributeValue::S(text) if TYPE_NAMES.contains(&text.as_str()) => {}
                        AttributeValue::S(text) => {
                            return Err(ExprError::InvalidTypeName {
                                kind: self.kind,
                                type_name: text.chars().take(64).collect(),
                            })
                        }
                        other => return Err(self.operand_type_error(function, other)),
                    }
                }
                Condition::AttributeType { path, type_name }
            }
            ("begins_with", Some(prefix)) => {
                for operand in [&first, &prefix] {
                    if let Operand::Value(value) = operand {
                        if !matches!(value, AttributeValue::S(_) | AttributeValue::B(_)) {
                            return Err(self.operand_type_error(function, value));
                        }
                    }
                }
                Condition::BeginsWith {
                    operand: first,
                    prefix,
                }
            }
            (_, Some(element)) => Condition::Contains {
                operand: first,
                element,
            },
            _ => unreachable!("arity matched to function above"),
        })
    }

    /// `( operand ("," operand)* )` for a condition function.
    fn arguments(&mut self, function: &'static str) -> Result<Vec<Operand>, ExprError> {
        /// No condition function takes more than two; stop collecting soon after.
        const MAX_FUNCTION_ARGUMENTS: usize = 3;
        self.expect(TokenKind::LParen)?;
        let mut args = vec![self.operand()?];
        while self.peek() == TokenKind::Comma {
            self.advance();
            args.push(self.operand()?);
            if args.len() > MAX_FUNCTION_ARGUMENTS {
                return Err(ExprError::WrongOperandCount {
                    kind: self.kind,
                    function,
                    count: args.len(),
                });
            }
        }
        self.expect(TokenKind::RParen)?;
        Ok(args)
    }

    fn operand(&mut self) -> Result<Operand, ExprError> {
        match (self.peek(), self.peek_second()) {
            (TokenKind::ValuePlaceholder(_), _) => Ok(Operand::Value(self.value_placeholder()?)),
            (TokenKind::Ident("size"), TokenKind::LParen) => {
                self.advance();
                self.advance();
                self.count_operator()?;
                if !matches!(
                    self.peek(),
                    TokenKind::Ident(_) | TokenKind::NamePlaceholder(_)
                ) {
                    return Err(ExprError::RequiresPath {
                        kind: self.kind,
                        function: "size",
                    });
                }
                let path = self.path()?;
                self.expect(TokenKind::RParen)?;
                Ok(Operand::Size(path))
            }
            (TokenKind::Ident(name), TokenKind::LParen) => Err(match name {
                "attribute_exists" => self.misuse("attribute_exists"),
                "attribute_not_exists" => self.misuse("attribute_not_exists"),
                "attribute_type" => self.misuse("attribute_type"),
                "begins_with" => self.misuse("begins_with"),
                "contains" => self.misuse("contains"),
                _ => ExprError::InvalidFunction {
                    kind: self.kind,
                    function: name.to_string(),
                },
            }),
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    fn misuse(&self, function: &'static str) -> ExprError {
        ExprError::FunctionMisuse {
            kind: self.kind,
            function,
        }
    }

    fn value_placeholder(&mut self) -> Result<AttributeValue, ExprError> {
        match self.peek() {
            TokenKind::ValuePlaceholder(placeholder) => {
                self.advance();
                self.placeholders.value(placeholder, self.kind)
            }
            _ => Err(self.error_here()),
        }
    }

    // ---- paths ----

    fn path_key(&mut self) -> Result<String, ExprError> {
        let token = self.advance();
        match token.kind {
            TokenKind::Ident(word) => {
                if is_reserved_word(word) {
                    return Err(ExprError::ReservedKeyword {
                        kind: self.kind,
                        word: word.to_string(),
                    });
                }
                Ok(word.to_string())
            }
            TokenKind::NamePlaceholder(placeholder) => {
                self.placeholders.name(placeholder, self.kind)
            }
            _ => Err(self.error_at(token)),
        }
    }

    fn path(&mut self) -> Result<Path, ExprError> {
        let mut elements = vec![PathElement::Key(self.path_key()?)];
        loop {
            match self.peek() {
                TokenKind::Dot => {
                    self.advance();
                    elements.push(PathElement::Key(self.path_key()?));
                }
                TokenKind::LBracket => {
                    self.advance();
                    let token = self.advance();
                    let TokenKind::Integer(digits) = token.kind else {
                        return Err(self.error_at(token));
                    };
                    let index =
                        digits
                            .parse::<u32>()
                            .map_err(|_| ExprError::ListIndexOutOfRange {
                                kind: self.kind,
                                index: digits.chars().take(32).collect(),
                            })?;
                    self.expect(TokenKind::RBracket)?;
                    elements.push(PathElement::Index(index));
                }
                _ => break,
            }
            if elements.len() > MAX_PATH_ELEMENTS {
                return Err(ExprError::PathTooDeep {
                    kind: self.kind,
                    levels: elements.len(),
                });
            }
        }
        Ok(Path::from_elements(elements).expect("starts with a key"))
    }

    // ---- updates ----

    fn set_action(&mut self) -> Result<SetAction, ExprError> {
        let path = self.path()?;
        self.expect(TokenKind::Eq)?;
        let first = self.update_operand()?;
        let value = match self.peek() {
            TokenKind::Plus | TokenKind::Minus => {
                let plus = self.peek() == TokenKind::Plus;
                self.advance();
                self.count_operator()?;
                let second = self.update_operand()?;
                let symbol = if plus { "+" } else { "-" };
                for operand in [&first, &second] {
                    if let UpdateOperand::Value(value) = operand {
                        if !matches!(value, AttributeValue::N(_)) {
                            return Err(self.operand_type_error(symbol, value));
                        }
                    }
                }
                if plus {
                    SetValue::Plus(first, second)
                } else {
                    SetValue::Minus(first, second)
                }
            }
            _ => SetValue::Operand(first),
        };
        Ok(SetAction { path, value })
    }

    fn update_operand(&mut self) -> Result<UpdateOperand, ExprError> {
        match (self.peek(), self.peek_second()) {
            (TokenKind::ValuePlaceholder(_), _) => {
                Ok(UpdateOperand::Value(self.value_placeholder()?))
            }
            (TokenKind::Ident(name), TokenKind::LParen) => {
                let function: &'static str = match name {
                    "if_not_exists" => "if_not_exists",
                    "list_append" => "list_append",
                    _ => {
                        return Err(ExprError::InvalidFunction {
                            kind: self.kind,
                            function: name.to_string(),
                        })
                    }
                };
                self.advance();
                self.advance();
                self.count_operator()?;
                self.enter()?;
                let first = if function == "if_not_exists" {
                    match self.peek() {
                        TokenKind::Ident(_) | TokenKind::NamePlaceholder(_) => {
                            UpdateOperand::Path(self.path()?)
                        }
                        _ => {
                            return Err(ExprError::RequiresPath {
                                kind: self.kind,
                                function,
                            })
                        }
                    }
                } else {
                    self.update_operand()?
                };
                if self.peek() != TokenKind::Comma {
                    return Err(ExprError::WrongOperandCount {
                        kind: self.kind,
                        function,
                        count: 1,
                    });
                }
                self.advance();
                let second = self.update_operand()?;
                if self.peek() == TokenKind::Comma {
                    return Err(ExprError::WrongOperandCount {
                        kind: self.kind,
                        function,
                        count: 3,
                    });
                }
                self.expect(TokenKind::RParen)?;
                self.leave();
                if function == "list_append" {
                    for operand in [&first, &second] {
                        if let UpdateOperand::Value(value) = operand {
                            if !matches!(value, AttributeValue::L(_)) {
                                return Err(self.operand_type_error(function, value));
                            }
                        }
                    }
                    return Ok(UpdateOperand::ListAppend(Box::new(first), Box::new(second)));
                }
                let UpdateOperand::Path(path) = first else {
                    unreachable!("if_not_exists's first operand is parsed as a path")
                };
                Ok(UpdateOperand::IfNotExists(path, Box::new(second)))
            }
            _ => Ok(UpdateOperand::Path(self.path()?)),
        }
    }
}

/// `N:5`-style rendering of a constant for BETWEEN's error message.
fn short_value(value: &AttributeValue) -> String {
    let text = match value {
        AttributeValue::S(text) => text.chars().take(64).collect(),
        AttributeValue::N(number) => number.to_string(),
        AttributeValue::B(bytes) => format!("{} bytes", bytes.len()),
        other => other.type_tag().to_string(),
    };
    format!("{}:{}", value.type_tag(), text)
}
