//! The parsed forms of DynamoDB's expressions. Placeholders are already resolved:
//! paths hold real attribute names and operands hold the values themselves.

use std::fmt;

use crate::types::AttributeValue;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A top-level attribute or a map key.
    Key(String),
    /// A list index.
    Index(u32),
}

/// A document path such as `a.b[3].c`. Invariant: non-empty, and the first element is a
/// [`PathElement::Key`] (the top-level attribute).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(Vec<PathElement>);

impl Path {
    /// The path naming one top-level attribute.
    #[must_use]
    pub fn attribute(name: impl Into<String>) -> Path {
        Path(vec![PathElement::Key(name.into())])
    }

    /// A path from its elements; `None` unless it is non-empty and starts with a key.
    #[must_use]
    pub fn from_elements(elements: Vec<PathElement>) -> Option<Path> {
        matches!(elements.first(), Some(PathElement::Key(_))).then_some(Path(elements))
    }

    /// The elements, top-level attribute first.
    #[must_use]
    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// The top-level attribute's name.
    #[must_use]
    pub fn top_level_name(&self) -> &str {
        match &self.0[0] {
            PathElement::Key(name) => name,
            PathElement::Index(_) => unreachable!("a Path starts with a key by construction"),
        }
    }

    /// Whether `self` equals `other` or contains it (`a` is a prefix of `a.b`).
    #[must_use]
    pub fn is_prefix_of(&self, other: &Path) -> bool {
        other.0.starts_with(&self.0)
    }
}

/// DynamoDB's rendering in error messages: `[a, b, [3]]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, element) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match element {
                PathElement::Key(name) => f.write_str(name)?,
                PathElement::Index(index) => write!(f, "[{index}]")?,
            }
        }
        f.write_str("]")
    }
}

/// A value in a condition: an attribute, a constant, or `size(path)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// The value at a document path (absent if the item lacks it).
    Path(Path),
    /// A constant from `ExpressionAttributeValues`.
    Value(AttributeValue),
    /// `size(path)`: a number, absent if the path is absent or has no size.
    Size(Path),
}

/// The comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparator {
    /// The operator as written.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "<>",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }
}

/// A condition or filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `left <op> right`
    Compare {
        /// Left side.
        left: Operand,
        /// The operator.
        comparator: Comparator,
        /// Right side.
        right: Operand,
    },
    /// `operand BETWEEN low AND high`
    Between {
        /// Tested value.
        operand: Operand,
        /// Inclusive lower bound.
        low: Operand,
        /// Inclusive upper bound.
        high: Operand,
    },
    /// `operand IN (candidates…)`
    In {
        /// Tested value.
        operand: Operand,
        /// 1 to 100 candidates.
        candidates: Vec<Operand>,
    },
    /// `attribute_exists(path)`
    AttributeExists(Path),
    /// `attribute_not_exists(path)`
    AttributeNotExists(Path),
    /// `attribute_type(path, :type)`
    AttributeType {
        /// The attribute.
        path: Path,
        /// An operand whose value is an S naming a type ("S", "SS", "M", …).
        type_name: Operand,
    },
    /// `begins_with(operand, prefix)`
    BeginsWith {
        /// The string or binary tested.
        operand: Operand,
        /// The prefix.
        prefix: Operand,
    },
    /// `contains(operand, element)`
    Contains {
        /// The string, set or list searched.
        operand: Operand,
        /// The substring or element.
        element: Operand,
    },
    /// `NOT condition`
    Not(Box<Condition>),
    /// `left AND right`
    And(Box<Condition>, Box<Condition>),
    /// `left OR right`
    Or(Box<Condition>, Box<Condition>),
}

impl Operand {
    /// The path the operand reads, if it reads one.
    fn path(&self) -> Option<&Path> {
        match self {
            Operand::Path(p) | Operand::Size(p) => Some(p),
            Operand::Value(_) => None,
        }
    }
}

impl Condition {
    /// The first path the condition reads, in written order, that `wanted` accepts.
    /// Recursion follows the condition's nesting, which the parser bounds.
    pub fn find_path<'c>(&'c self, wanted: &mut impl FnMut(&Path) -> bool) -> Option<&'c Path> {
        fn first<'o>(
            operands: impl IntoIterator<Item = &'o Operand>,
            wanted: &mut impl FnMut(&Path) -> bool,
        ) -> Option<&'o Path> {
            operands
                .into_iter()
                .filter_map(Operand::path)
                .find(|p| wanted(p))
        }
        match self {
            Condition::Compare { left, right, .. } => first([left, right], wanted),
            Condition::Between { operand, low, high } => first([operand, low, high], wanted),
            Condition::In {
                operand,
                candidates,
            } => first(std::iter::once(operand).chain(candidates), wanted),
            Condition::AttributeExists(p) | Condition::AttributeNotExists(p) => {
                Some(p).filter(|p| wanted(p))
            }
            Condition::AttributeType { path, type_name } => {
                if wanted(path) {
                    Some(path)
                } else {
                    first([type_name], wanted)
                }
            }
            Condition::BeginsWith { operand, prefix } => first([operand, prefix], wanted),
            Condition::Contains { operand, element } => first([operand, element], wanted),
            Condition::Not(c) => c.find_path(wanted),
            Condition::And(a, b) | Condition::Or(a, b) => match a.find_path(wanted) {
                Some(p) => Some(p),
                None => b.find_path(wanted),
            },
        }
    }
}

/// A projection expression: the paths to return.
pub type Projection = Vec<Path>;

/// A value on the right of `SET path = …`.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOperand {
    /// The old item's value at a path.
    Path(Path),
    /// A constant.
    Value(AttributeValue),
    /// `if_not_exists(path, fallback)`
    IfNotExists(Path, Box<UpdateOperand>),
    /// `list_append(first, second)`
    ListAppend(Box<UpdateOperand>, Box<UpdateOperand>),
}

/// `operand`, `operand + operand` or `operand - operand`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// A single operand.
    Operand(UpdateOperand),
    /// Numeric sum.
    Plus(UpdateOperand, UpdateOperand),
    /// Numeric difference.
    Minus(UpdateOperand, UpdateOperand),
}

/// `SET path = value`
#[derive(Debug, Clone, PartialEq)]
pub struct SetAction {
    /// Where to write.
    pub path: Path,
    /// What to write, computed from the old item.
    pub value: SetValue,
}

/// An update expression: its four clauses, each possibly empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateExpr {
    /// `SET` actions in written order.
    pub set: Vec<SetAction>,
    /// `REMOVE` paths in written order.
    pub remove: Vec<Path>,
    /// `ADD path :value`: numbers are added, sets are unioned.
    pub add: Vec<(Path, AttributeValue)>,
    /// `DELETE path :set`: elements are removed from a set.
    pub delete: Vec<(Path, AttributeValue)>,
}

impl UpdateExpr {
    /// Every path the update writes, in clause order (SET, REMOVE, ADD, DELETE).
    #[must_use]
    pub fn target_paths(&self) -> Vec<&Path> {
        self.set
            .iter()
            .map(|action| &action.path)
            .chain(self.remove.iter())
            .chain(self.add.iter().map(|(path, _)| path))
            .chain(self.delete.iter().map(|(path, _)| path))
            .collect()
    }
}
