//! The text syntax: a tokenizer, a precedence-climbing parser to a small syntax tree, and the
//! lowering of that tree into a [`Graph`].
//!
//! Both styles are accepted and can be mixed: function calls (`max(relu(x), cosh(elu(x)))`,
//! `sum_n(abs(x), swish(x), sigmoid(x))`) and infix operators with the usual precedence (`+ -`
//! below `* /` below unary minus below `^`, which is right-associative; `**` is accepted for `^`).
//! Constant parameters follow the arguments, by position or by name: `deadzone(x, 0.3)`,
//! `clamp(x, lo=-2, hi=2)`. `pi` and `e` are constants. `x^2` and `x^3` read as `square` and
//! `cube`. `param(1.0)` is a trainable constant starting at 1.0 (each occurrence a parameter of
//! its own): `x * sigmoid(param(1.0) * x)` is Swish with a learnable beta. Errors carry the line
//! and column of the offending text.

use super::graph::{Graph, NodeId, Params};
use super::primitive::{lookup, nearest_name, Arity, Op, MAX_ARGUMENTS};
use std::fmt;

/// The name of a trainable constant in formulas: `param(<initial value>)`.
pub const PARAM: &str = "param";

/// A syntax error or an invalid formula, with its position (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was wrong, and what was expected.
    pub message: String,
}

impl ParseError {
    fn at(text: &str, offset: usize, message: impl Into<String>) -> ParseError {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Sym(char),
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Num(v) => write!(f, "number `{v}`"),
            Tok::Ident(s) => write!(f, "`{s}`"),
            Tok::Sym(c) => write!(f, "`{c}`"),
            Tok::End => f.write_str("end of input"),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let bytes = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if j < bytes.len() && bytes[j].is_ascii_digit() {
                    while j < bytes.len() && bytes[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            let lit = &text[start..i];
            let v: f64 = lit
                .parse()
                .map_err(|_| ParseError::at(text, start, format!("malformed number `{lit}`")))?;
            toks.push((Tok::Num(v), start));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            toks.push((Tok::Ident(text[start..i].to_string()), start));
        } else if c == b'*' && bytes.get(i + 1) == Some(&b'*') {
            toks.push((Tok::Sym('^'), i));
            i += 2;
        } else if b"+-*/^(),=".contains(&c) {
            toks.push((Tok::Sym(c as char), i));
            i += 1;
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(ParseError::at(
                text,
                i,
                format!("unexpected character `{ch}`"),
            ));
        }
    }
    toks.push((Tok::End, text.len()));
    Ok(toks)
}

/// The syntax tree, before names are resolved.
#[derive(Clone, Debug)]
enum Ast {
    Num(f64, usize),
    Var(String, usize),
    Call(String, usize, Vec<Arg>),
    Neg(Box<Ast>, usize),
    Bin(char, Box<Ast>, Box<Ast>),
}

#[derive(Clone, Debug)]
struct Arg {
    name: Option<(String, usize)>,
    value: Ast,
    pos: usize,
}

impl Ast {
    fn pos(&self) -> usize {
        match self {
            Ast::Num(_, p) | Ast::Var(_, p) | Ast::Call(_, p, _) | Ast::Neg(_, p) => *p,
            Ast::Bin(_, l, _) => l.pos(),
        }
    }
}

struct Parser<'t> {
    text: &'t str,
    toks: Vec<(Tok, usize)>,
    at: usize,
    depth: usize,
}

/// Deepest nesting accepted (brackets, calls, unary minus, powers, and operator chains such as
/// `x + x + x`), so that hostile input cannot overflow the stack: also the deepest graph that a
/// serialised node list may describe.
pub(crate) const MAX_NESTING: usize = 200;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }
    fn peek2(&self) -> &Tok {
        self.toks.get(self.at + 1).map_or(&Tok::End, |t| &t.0)
    }
    fn pos(&self) -> usize {
        self.toks[self.at].1
    }
    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }
    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.text, self.pos(), msg)
    }
    fn nest(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(format!(
                "formula nested deeper than {MAX_NESTING} levels (brackets, calls or chained \
                 operators; sum_n(a, b, ...) adds many terms without nesting)"
            )));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Ast, ParseError> {
        self.nest()?;
        let entry = self.depth;
        let mut lhs = self.term()?;
        while let Tok::Sym(op @ ('+' | '-')) = *self.peek() {
            self.bump();
            // Each operator of a chain deepens the (left-leaning) tree by one level, and the
            // tree is walked recursively: `x + x + ... + x` counts as nesting too.
            self.nest()?;
            let rhs = self.term()?;
            lhs = Ast::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth = entry - 1;
        Ok(lhs)
    }

    fn term(&mut self) -> Result<Ast, ParseError> {
        let entry = self.depth;
        let mut lhs = self.unary()?;
        while let Tok::Sym(op @ ('*' | '/')) = *self.peek() {
            self.bump();
            self.nest()?;
            let rhs = self.unary()?;
            lhs = Ast::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth = entry;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Ast, ParseError> {
        if *self.peek() == Tok::Sym('-') {
            let p = self.bump().1;
            // A minus directly before a number is part of the literal, unless `^` follows it
            // (`-2^2` is `-(2^2)`, as in Python).
            if let Tok::Num(v) = *self.peek() {
                if *self.peek2() != Tok::Sym('^') {
                    self.bump();
                    return Ok(Ast::Num(-v, p));
                }
            }
            self.nest()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Ast::Neg(Box::new(inner), p));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Ast, ParseError> {
        let base = self.atom()?;
        if *self.peek() == Tok::Sym('^') {
            self.bump();
            self.nest()?;
            let exponent = self.unary()?;
            self.depth -= 1;
            return Ok(Ast::Bin('^', Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Ast, ParseError> {
        let (tok, p) = self.bump();
        match tok {
            Tok::Num(v) => Ok(Ast::Num(v, p)),
            Tok::Ident(name) => {
                if *self.peek() != Tok::Sym('(') {
                    return Ok(Ast::Var(name, p));
                }
                let open = self.bump().1;
                let mut args = Vec::new();
                if *self.peek() != Tok::Sym(')') {
                    loop {
                        args.push(self.arg()?);
                        match self.peek() {
                            Tok::Sym(',') => {
                                self.bump();
                            }
                            Tok::Sym(')') => break,
                            other => {
                                return Err(self.err(format!(
                                "expected `,` or `)` to close the `(` at column {}, found {other}",
                                ParseError::at(self.text, open, "").column
                            )))
                            }
                        }
                    }
                }
                self.bump();
                Ok(Ast::Call(name, p, args))
            }
            Tok::Sym('(') => {
                let inner = self.expr()?;
                match self.peek() {
                    Tok::Sym(')') => {
                        self.bump();
                        Ok(inner)
                    }
                    other => Err(self.err(format!(
                        "expected `)` to close the `(` at column {}, found {other}",
                        ParseError::at(self.text, p, "").column
                    ))),
                }
            }
            Tok::End if p == 0 || self.text.trim().is_empty() => {
                Err(ParseError::at(self.text, p, "empty formula"))
            }
            other => Err(ParseError::at(
                self.text,
                p,
                format!("expected a number, `x`, a function call or `(`, found {other}"),
            )),
        }
    }

    fn arg(&mut self) -> Result<Arg, ParseError> {
        let pos = self.pos();
        if let (Tok::Ident(name), Tok::Sym('=')) = (self.peek().clone(), self.peek2()) {
            self.bump();
            self.bump();
            let value = self.expr()?;
            return Ok(Arg {
                name: Some((name, pos)),
                value,
                pos,
            });
        }
        Ok(Arg {
            name: None,
            value: self.expr()?,
            pos,
        })
    }
}

fn parse_ast(text: &str) -> Result<Ast, ParseError> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        text,
        toks,
        at: 0,
        depth: 0,
    };
    let ast = p.expr()?;
    if *p.peek() != Tok::End {
        let found = p.peek().clone();
        return Err(p.err(format!("unexpected {found} after the end of the formula")));
    }
    Ok(ast)
}

/// Parses a formula in `x` into a graph whose root is the formula's value.
///
/// A formula that is only the name of a one-argument primitive means that primitive applied to
/// `x` with its default parameters, as in PyTorch's `nn.ReLU`: `relu` reads as `relu(x)`,
/// `deadzone` as `deadzone(x, 0.5)`. Inside a larger formula a bare name stays an error
/// (`tanh + 1` is more likely a typo than `tanh(x) + 1`).
pub fn parse(text: &str) -> Result<Graph, ParseError> {
    let mut g = Graph::new();
    let x = g.input();
    let ast = bare_name_as_call(parse_ast(text)?);
    let vars = [("x", x)];
    let root = Lowering {
        text,
        vars: &vars,
        graph: &mut g,
    }
    .lower(&ast)?;
    g.set_root(root);
    Ok(g)
}

/// `name` alone, for a one-argument primitive, as `name(x)`; any other tree unchanged.
fn bare_name_as_call(ast: Ast) -> Ast {
    match ast {
        Ast::Var(name, p)
            if name != "x" && lookup(&name).is_some_and(|prim| prim.arity == Arity::Unary) =>
        {
            let x = Arg {
                name: None,
                value: Ast::Var("x".to_string(), p),
                pos: p,
            };
            Ast::Call(name, p, vec![x])
        }
        other => other,
    }
}

/// Parses `text` into `graph` with the given variables bound to nodes, and returns the node of
/// its value. Used for derivative templates and backward rules (variables `a`, `b`, `y`, …).
pub(crate) fn parse_into(
    text: &str,
    vars: &[(&str, NodeId)],
    graph: &mut Graph,
) -> Result<NodeId, ParseError> {
    let ast = parse_ast(text)?;
    Lowering { text, vars, graph }.lower(&ast)
}

/// Evaluates a constant formula (numbers, `pi`, `e`, operators and functions of constants).
pub(crate) fn parse_constant(text: &str) -> Result<f32, ParseError> {
    let mut g = Graph::new();
    let node = parse_into(text, &[], &mut g)?;
    g.set_root(node);
    Ok(g.eval_scalar(0.0))
}

struct Lowering<'a> {
    text: &'a str,
    vars: &'a [(&'a str, NodeId)],
    graph: &'a mut Graph,
}

impl Lowering<'_> {
    fn err(&self, pos: usize, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.text, pos, msg)
    }

    fn literal(&self, v: f64, pos: usize) -> Result<f32, ParseError> {
        let f = v as f32;
        if !f.is_finite() {
            return Err(self.err(pos, format!("the number {v} is not a finite f32")));
        }
        Ok(f)
    }

    fn lower(&mut self, ast: &Ast) -> Result<NodeId, ParseError> {
        match ast {
            Ast::Num(v, p) => {
                let f = self.literal(*v, *p)?;
                Ok(self.graph.constant(f))
            }
            Ast::Var(name, p) => {
                if let Some((_, n)) = self.vars.iter().find(|(v, _)| v == name) {
                    return Ok(*n);
                }
                match name.as_str() {
                    "pi" => Ok(self.graph.constant(std::f32::consts::PI)),
                    "e" => Ok(self.graph.constant(std::f32::consts::E)),
                    _ if lookup(name).is_some() => {
                        Err(self.err(*p, format!("`{name}` is a function: write {name}(x)")))
                    }
                    _ => {
                        let known: Vec<&str> = self.vars.iter().map(|(v, _)| *v).collect();
                        let hint = match nearest_name(name) {
                            Some(n) => format!("; did you mean `{n}`?"),
                            None => String::new(),
                        };
                        Err(self.err(
                            *p,
                            format!(
                                "unknown variable `{name}` (the variables are {}; constants pi and e{hint})",
                                if known.is_empty() { "none".to_string() } else { known.join(", ") }
                            ),
                        ))
                    }
                }
            }
            Ast::Neg(inner, _) => {
                let a = self.lower(inner)?;
                Ok(self.graph.apply(Op::Negative, &[a]))
            }
            Ast::Bin(op, l, r) => {
                let a = self.lower(l)?;
                if *op == '^' {
                    if let Ast::Num(v, _) = **r {
                        if v == 2.0 || v == 3.0 {
                            let op = if v == 2.0 { Op::Square } else { Op::Cube };
                            return Ok(self.graph.apply(op, &[a]));
                        }
                    }
                }
                let b = self.lower(r)?;
                let op = match op {
                    '+' => Op::Add,
                    '-' => Op::Sub,
                    '*' => Op::Mul,
                    '/' => Op::Div,
                    _ => Op::Pow,
                };
                Ok(self.graph.apply(op, &[a, b]))
            }
            Ast::Call(name, p, args) => self.call(name, *p, args),
        }
    }

    fn call(&mut self, name: &str, pos: usize, args: &[Arg]) -> Result<NodeId, ParseError> {
        if name == PARAM {
            return self.trainable(pos, args);
        }
        let Some(prim) = lookup(name) else {
            let hint = match nearest_name(name) {
                Some(n) => format!(" (did you mean `{n}`?)"),
                None => " (`radact primitives` lists them)".to_string(),
            };
            return Err(self.err(pos, format!("unknown function `{name}`{hint}")));
        };
        let n_inputs = match prim.arity {
            Arity::Unary => 1,
            Arity::Binary => 2,
            Arity::Nary => args.iter().filter(|a| a.name.is_none()).count(),
        };
        let positional: Vec<&Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        if positional.len() < n_inputs || (prim.arity == Arity::Nary && n_inputs < 2) {
            return Err(self.err(
                pos,
                format!(
                    "`{}` takes {} argument{}, got {}",
                    prim.name,
                    prim.arity,
                    if prim.arity == Arity::Unary { "" } else { "s" },
                    positional.len()
                ),
            ));
        }
        if n_inputs > MAX_ARGUMENTS {
            return Err(self.err(
                positional[MAX_ARGUMENTS].pos,
                format!(
                    "`{}` takes at most {MAX_ARGUMENTS} arguments, got {n_inputs}",
                    prim.name
                ),
            ));
        }
        let extra = &positional[n_inputs..];
        if extra.len() > prim.params.len() {
            let msg = if prim.params.is_empty() {
                format!(
                    "`{}` takes {} argument{} and no parameters, got {}",
                    prim.name,
                    prim.arity,
                    if prim.arity == Arity::Unary { "" } else { "s" },
                    positional.len()
                )
            } else {
                let names: Vec<&str> = prim.params.iter().map(|s| s.name).collect();
                format!(
                    "too many arguments: `{}` has parameters {}",
                    prim.name,
                    names.join(", ")
                )
            };
            return Err(self.err(extra[prim.params.len()].pos, msg));
        }
        let mut params: Params = prim.default_params();
        let mut set = [false; 2];
        for (i, arg) in extra.iter().enumerate() {
            params[i] = self.param_value(prim.name, prim.params[i].name, arg)?;
            set[i] = true;
        }
        for arg in args.iter().filter(|a| a.name.is_some()) {
            let (pname, ppos) = arg.name.as_ref().expect("filtered on named");
            let Some(i) = prim.params.iter().position(|s| s.name == pname) else {
                let names: Vec<&str> = prim.params.iter().map(|s| s.name).collect();
                return Err(self.err(
                    *ppos,
                    if names.is_empty() {
                        format!("`{}` has no parameters", prim.name)
                    } else {
                        format!(
                            "`{}` has no parameter `{pname}` (it has {})",
                            prim.name,
                            names.join(", ")
                        )
                    },
                ));
            };
            if set[i] {
                return Err(self.err(*ppos, format!("parameter `{pname}` given twice")));
            }
            params[i] = self.param_value(prim.name, pname, arg)?;
            set[i] = true;
        }
        for (i, spec) in prim.params.iter().enumerate() {
            let at = extra.get(i).map(|a| a.pos).unwrap_or(pos);
            spec.check(params[i])
                .map_err(|m| self.err(at, format!("`{}`: {m}", prim.name)))?;
        }
        if prim.op == Op::Clamp && params[0] > params[1] {
            return Err(self.err(
                pos,
                format!("`clamp`: lo = {} is above hi = {}", params[0], params[1]),
            ));
        }
        let mut inputs = Vec::with_capacity(n_inputs);
        for arg in &positional[..n_inputs] {
            inputs.push(self.lower(&arg.value)?);
        }
        Ok(self.graph.apply_with(prim.op, params, &inputs))
    }

    /// `param(v)`: a new trainable constant starting at the number `v` (a literal, possibly
    /// negated, or `pi` or `e`).
    fn trainable(&mut self, pos: usize, args: &[Arg]) -> Result<NodeId, ParseError> {
        let [arg] = args else {
            let at = args.get(1).map_or(pos, |a| a.pos);
            return Err(self.err(
                at,
                format!(
                    "`{PARAM}` takes one number, its initial value, got {} arguments",
                    args.len()
                ),
            ));
        };
        if let Some((_, at)) = &arg.name {
            return Err(self.err(*at, format!("`{PARAM}` has no named parameters")));
        }
        let (negated, value) = match &arg.value {
            Ast::Neg(inner, _) => (true, &**inner),
            other => (false, other),
        };
        let v = match value {
            Ast::Num(v, p) => self.literal(*v, *p)?,
            Ast::Var(name, _) if name == "pi" => std::f32::consts::PI,
            Ast::Var(name, _) if name == "e" => std::f32::consts::E,
            other => {
                return Err(self.err(
                    other.pos(),
                    format!("the initial value of `{PARAM}` must be a number"),
                ))
            }
        };
        Ok(self.graph.param(if negated { -v } else { v }))
    }

    fn param_value(&self, func: &str, param: &str, arg: &Arg) -> Result<f32, ParseError> {
        let v = match &arg.value {
            Ast::Num(v, p) => self.literal(*v, *p)?,
            Ast::Var(name, _) if name == "pi" => std::f32::consts::PI,
            Ast::Var(name, _) if name == "e" => std::f32::consts::E,
            other => {
                return Err(self.err(
                    other.pos(),
                    format!("parameter `{param}` of `{func}` must be a number"),
                ))
            }
        };
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ParseError {
        parse(text).expect_err(text)
    }

    #[test]
    fn precedence_and_associativity() {
        let cases: [(&str, f32, f32); 8] = [
            ("1 + 2 * x", 3.0, 7.0),
            ("(1 + 2) * x", 3.0, 9.0),
            ("-x^2", 3.0, -9.0),
            ("2^x^2", 2.0, 16.0),
            ("x - 1 - 1", 5.0, 3.0),
            ("x / 2 / 2", 8.0, 2.0),
            ("x ** 2", 3.0, 9.0),
            ("-2^2 + x", 0.0, -4.0),
        ];
        for (text, x, want) in cases {
            let g = parse(text).unwrap();
            assert!(
                (g.eval_scalar(x) - want).abs() < 1e-5,
                "{text} at {x}: {}",
                g.eval_scalar(x)
            );
        }
    }

    #[test]
    fn calls_params_and_aliases() {
        let g = parse("deadzone(x, t=0.3)").unwrap();
        assert_eq!(g.eval_scalar(0.2), 0.0);
        assert_eq!(g.eval_scalar(0.4), 0.4);
        assert_eq!(parse("clamp(x, -2, 2)").unwrap().eval_scalar(5.0), 2.0);
        assert_eq!(parse("hardtanh(x)").unwrap().eval_scalar(5.0), 1.0);
        assert_eq!(parse("sum_n(x, x, 1)").unwrap().eval_scalar(2.0), 5.0);
        assert_eq!(parse("step(x)").unwrap().eval_scalar(0.0), 1.0);
        assert!((parse("silu(x)").unwrap().eval_scalar(1.0) - 0.731_058_6).abs() < 1e-6);
        assert_eq!(parse("quantize(x, 3)").unwrap().eval_scalar(0.6), 1.0);
    }

    #[test]
    fn a_bare_unary_name_is_applied_to_x() {
        for (bare, call) in [
            ("relu", "relu(x)"),
            (" tanh ", "tanh(x)"),
            ("silu", "swish(x)"),
            ("step", "heaviside(x)"),
            ("deadzone", "deadzone(x, 0.5)"),
        ] {
            let g = parse(bare).unwrap_or_else(|e| panic!("{bare}: {e}"));
            let want = parse(call).unwrap();
            assert_eq!(g.to_string(), want.to_string(), "{bare}");
            for v in [-2.0, -0.3, 0.0, 0.4, 3.0] {
                assert_eq!(g.eval_scalar(v), want.eval_scalar(v), "{bare} at {v}");
            }
        }
        assert_eq!(parse("x").unwrap().to_string(), "x");
        assert_eq!(parse("pi").unwrap().eval_scalar(1.0), std::f32::consts::PI);
        let e = err("relu + 1");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("is a function"), "{}", e.message);
        assert!(err("max").message.contains("is a function"));
        let e = err("relus");
        assert!(e.message.contains("unknown variable"), "{}", e.message);
        assert!(e.message.contains("did you mean `relu`?"), "{}", e.message);
    }

    #[test]
    fn x_squared_reads_as_square() {
        let g = parse("x^2").unwrap();
        assert_eq!(g.ops(), vec![Op::Square]);
        assert_eq!(parse("x^3").unwrap().ops(), vec![Op::Cube]);
        assert_eq!(parse("x^4").unwrap().ops(), vec![Op::Pow]);
    }

    #[test]
    fn trainable_constants_parse_with_their_errors() {
        let g = parse("x * sigmoid(param(1.0) * x) + param(-0.5) + param(pi)").unwrap();
        assert_eq!(g.param_values(), vec![1.0, -0.5, std::f32::consts::PI]);
        assert_eq!(
            g.to_string(),
            "x * sigmoid(param(1) * x) + param(-0.5) + param(3.1415927)"
        );
        let again = parse(&g.to_string()).unwrap();
        assert_eq!(again.to_string(), g.to_string());
        assert_eq!(again.param_values(), g.param_values());
        let e = err("x * param(x)");
        assert_eq!(e.column, 11);
        assert!(e.message.contains("must be a number"), "{}", e.message);
        let e = err("x * param(1, 2)");
        assert_eq!(e.column, 14);
        assert!(e.message.contains("takes one number"), "{}", e.message);
        assert!(err("param()").message.contains("got 0 arguments"));
        assert!(err("param(v=1)").message.contains("no named parameters"));
        assert!(err("param(1e999)").message.contains("not a finite"));
    }

    #[test]
    fn errors_name_the_column() {
        let e = err("tanhh(x)");
        assert_eq!((e.line, e.column), (1, 1));
        assert!(e.message.contains("did you mean `tanh`"), "{}", e.message);
        let e = err("x + sin(x, x)");
        assert_eq!(e.column, 12);
        assert!(e.message.contains("takes 1 argument"), "{}", e.message);
        let e = err("x + add(x)");
        assert_eq!(e.column, 5);
        assert!(
            e.message.contains("takes 2 arguments, got 1"),
            "{}",
            e.message
        );
        let e = err("(x + 1");
        assert_eq!(e.column, 7);
        assert!(e.message.contains("expected `)`"), "{}", e.message);
        assert!(err("").message.contains("empty"));
        assert!(err("   ").message.contains("empty"));
        let e = err("x + 1 )");
        assert_eq!(e.column, 7);
        assert!(e.message.contains("after the end"), "{}", e.message);
        let e = err("x * 1e999");
        assert_eq!(e.column, 5);
        assert!(e.message.contains("not a finite"), "{}", e.message);
        assert!(err("y + 1").message.contains("unknown variable `y`"));
        assert!(err("tanh + 1").message.contains("is a function"));
        assert!(err("add").message.contains("is a function"));
        assert!(err("x # 2").message.contains("unexpected character"));
        assert!(err("quantize(x, 1)").message.contains("outside"));
        assert!(err("quantize(x, 2.5)").message.contains("integer"));
        assert!(err("deadzone(x, q=1)").message.contains("no parameter `q`"));
        assert!(err("deadzone(x, x)").message.contains("must be a number"));
        assert!(err("clamp(x, 2, 1)").message.contains("above"));
        assert!(err("max_n(x)").message.contains("takes 2+"));
        let e = err("x +\n  foo(x)");
        assert_eq!((e.line, e.column), (2, 3));
    }

    #[test]
    fn argument_positions_beyond_255_keep_their_order() {
        // Edge positions were once `u8`: argument 256 came back as argument 0.
        let args: Vec<String> = (0..300).map(|i| format!("{i}")).collect();
        let text = format!("sum_n(x, {})", args.join(", "));
        let g = parse(&text).unwrap();
        let values: Vec<f32> = g
            .args(g.root())
            .into_iter()
            .skip(1)
            .map(|a| match g.node(a) {
                crate::expr::graph::Node::Const(v) => v,
                other => panic!("argument {other:?} is not a constant"),
            })
            .collect();
        let want: Vec<f32> = (0..300).map(|i| i as f32).collect();
        assert_eq!(values, want);
        assert_eq!(g.eval_scalar(1.0), 1.0 + 299.0 * 300.0 / 2.0);
        let printed = g.to_string();
        assert!(printed.starts_with("sum_n(x, 0, 1, 2, "), "{printed}");
        assert!(parse(&printed).unwrap().same_expression(&g));
    }

    #[test]
    fn n_ary_arguments_are_limited() {
        let args = |n: usize| vec!["sin(x)"; n].join(", ");
        assert!(parse(&format!("prod_n({})", args(MAX_ARGUMENTS))).is_ok());
        let text = format!("prod_n({})", args(MAX_ARGUMENTS + 1));
        let e = err(&text);
        assert_eq!(
            e.column,
            "prod_n(".len() + MAX_ARGUMENTS * "sin(x), ".len() + 1
        );
        assert!(
            e.message
                .contains("`prod_n` takes at most 1024 arguments, got 1025"),
            "{}",
            e.message
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}x{}", "(".repeat(5000), ")".repeat(5000));
        assert!(err(&text).message.contains("nested deeper"));
        let text = format!("{}x", "-".repeat(5000));
        assert!(err(&text).message.contains("nested deeper"));
        // A long operator chain is a deep tree too: 60000 terms once overflowed the stack.
        for op in [" + ", " - ", " * ", " / "] {
            let text = vec!["x"; 60_000].join(op);
            assert!(err(&text).message.contains("nested deeper"), "{op}");
        }
        let text = vec!["x"; 150].join(" + ");
        assert_eq!(parse(&text).unwrap().eval_scalar(1.0), 150.0);
    }
}
