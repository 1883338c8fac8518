//! ONNX export of a saved model (`radact export-model model.ron --format onnx -o net.onnx`):
//! standard operators only (opset 13, IR version 7), so that any ONNX runtime runs it.
//!
//! The graph takes `x`, raw inputs of shape `[N, inputs]` (as in the dataset's files), scales
//! them as in training (`Div`, `Sub`, `Div`), runs each layer as `MatMul` + `Add` with the
//! activation lowered from its expression graph after every hidden layer, and has two outputs:
//! `logits` (`[N, classes]`) and `class` (`ArgMax`, `[N]`, int64). The activation's primitives
//! become elementwise operators (`Tanh`, `Erf`, `Where` of `GreaterOrEqual` for heaviside,
//! `Min`/`Max` for clamps, ...); radact's protections are kept (`1/x` as `x / (x^2 + 1e-12)`,
//! `ln` as `ln(|x| + 1e-6)`), and so is its saturation of ±inf to ±`f32::MAX` after the
//! primitives that overflow from moderate inputs (`exp`, `expm1`, `sinh`, `cosh`), but not after
//! the others (where only an input near `f32::MAX` overflows). A primitive without a lowering (`pow`, `sinc`, the
//! waves, `modulo`, the Bessel functions, `quantize`, `softclip`, `gauss_dist`) makes the export
//! fail with its name.
//!
//! The protobuf messages are the few of `onnx.proto` the file needs, encoded by `prost`.

use super::{ModelError, SavedModel};
use crate::export::listing::{Expr, Listing};
use crate::export::RADACT_VERSION;
use crate::expr::kernels::{LEAKY_SLOPE, LOG_EPS, RECIPROCAL_EPS, SELU_ALPHA, SELU_SCALE};
use prost::Message;
use std::f32::consts::FRAC_1_SQRT_2;

/// The ONNX operator set the export uses.
pub const OPSET: i64 = 13;
/// The IR version of opset 13.
const IR_VERSION: i64 = 7;
/// `TensorProto.DataType.FLOAT`.
const FLOAT: i32 = 1;
/// `AttributeProto.AttributeType.FLOAT` and `INT`.
const ATTRIBUTE_FLOAT: i32 = 1;
const ATTRIBUTE_INT: i32 = 2;

/// `onnx.ModelProto` (the fields the export writes).
#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    /// IR version.
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    /// Producer.
    #[prost(string, tag = "2")]
    pub producer_name: String,
    /// Producer version.
    #[prost(string, tag = "3")]
    pub producer_version: String,
    /// Description.
    #[prost(string, tag = "6")]
    pub doc_string: String,
    /// The graph.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// Operator sets.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
}

/// `onnx.OperatorSetIdProto`.
#[derive(Clone, PartialEq, Message)]
pub struct OperatorSetIdProto {
    /// Domain (empty: the default ONNX domain).
    #[prost(string, tag = "1")]
    pub domain: String,
    /// Version.
    #[prost(int64, tag = "2")]
    pub version: i64,
}

/// `onnx.GraphProto`.
#[derive(Clone, PartialEq, Message)]
pub struct GraphProto {
    /// Nodes in topological order.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// Name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Constant tensors.
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// Inputs.
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// Outputs.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

/// `onnx.NodeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct NodeProto {
    /// Input names.
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// Output names.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// Node name.
    #[prost(string, tag = "3")]
    pub name: String,
    /// Operator.
    #[prost(string, tag = "4")]
    pub op_type: String,
    /// Attributes.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
}

/// `onnx.AttributeProto` (float and int attributes).
#[derive(Clone, PartialEq, Message)]
pub struct AttributeProto {
    /// Name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Float value.
    #[prost(float, tag = "2")]
    pub f: f32,
    /// Int value.
    #[prost(int64, tag = "3")]
    pub i: i64,
    /// Which value is set.
    #[prost(int32, tag = "20")]
    pub r#type: i32,
}

/// `onnx.TensorProto` (float tensors).
#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    /// Shape.
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    /// Element type.
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    /// Values, row-major.
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    /// Name.
    #[prost(string, tag = "8")]
    pub name: String,
}

/// `onnx.ValueInfoProto`.
#[derive(Clone, PartialEq, Message)]
pub struct ValueInfoProto {
    /// Name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Type.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
}

/// `onnx.TypeProto` (tensor types).
#[derive(Clone, PartialEq, Message)]
pub struct TypeProto {
    /// The tensor type.
    #[prost(message, optional, tag = "1")]
    pub tensor_type: Option<TensorTypeProto>,
}

/// `onnx.TypeProto.Tensor`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorTypeProto {
    /// Element type.
    #[prost(int32, tag = "1")]
    pub elem_type: i32,
    /// Shape.
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

/// `onnx.TensorShapeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorShapeProto {
    /// Dimensions.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<Dimension>,
}

/// `onnx.TensorShapeProto.Dimension`: a size or a symbolic name.
#[derive(Clone, PartialEq, Message)]
pub struct Dimension {
    /// A fixed size.
    #[prost(int64, optional, tag = "1")]
    pub dim_value: Option<i64>,
    /// A symbolic size.
    #[prost(string, optional, tag = "2")]
    pub dim_param: Option<String>,
}

/// Builds the graph: nodes with fresh output names, initializers.
#[derive(Default)]
struct Builder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    next: usize,
}

impl Builder {
    /// A node `op(inputs)` with attributes; returns its output's name.
    fn op_with(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        self.next += 1;
        let output = format!("t{}", self.next);
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name: format!("{op}_{}", self.next),
            op_type: op.to_string(),
            attribute: attributes,
        });
        output
    }

    fn op(&mut self, op: &str, inputs: &[&str]) -> String {
        self.op_with(op, inputs, Vec::new())
    }

    /// A constant tensor; returns its name.
    fn constant(&mut self, dims: Vec<i64>, values: Vec<f32>) -> String {
        self.next += 1;
        let name = format!("c{}", self.next);
        self.initializers.push(TensorProto {
            dims,
            data_type: FLOAT,
            float_data: values,
            name: name.clone(),
        });
        name
    }

    /// A scalar constant.
    fn scalar(&mut self, v: f32) -> String {
        self.constant(Vec::new(), vec![v])
    }

    /// `Where(cond, a, b)`.
    fn select(&mut self, cond: &str, a: &str, b: &str) -> String {
        self.op("Where", &[cond, a, b])
    }
}

fn float_attribute(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        f,
        i: 0,
        r#type: ATTRIBUTE_FLOAT,
    }
}

fn int_attribute(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        f: 0.0,
        i,
        r#type: ATTRIBUTE_INT,
    }
}

/// Lowers one kernel call with operand names `args` and constant parameters `params`; returns
/// the result's name, or the kernel's name when it has no lowering.
fn call(b: &mut Builder, name: &str, args: &[String], params: &[f32]) -> Result<String, String> {
    let x = args[0].as_str();
    let y = args.get(1).map(String::as_str).unwrap_or("");
    let out = match name {
        "identity" => b.op("Identity", &[x]),
        "negative" => b.op("Neg", &[x]),
        "abs" => b.op("Abs", &[x]),
        "square" => b.op("Mul", &[x, x]),
        "cube" => {
            let sq = b.op("Mul", &[x, x]);
            b.op("Mul", &[&sq, x])
        }
        "reciprocal" => reciprocal(b, x),
        "sqrt" => {
            let a = b.op("Abs", &[x]);
            b.op("Sqrt", &[&a])
        }
        "log" => {
            let a = b.op("Abs", &[x]);
            let eps = b.scalar(LOG_EPS);
            let s = b.op("Add", &[&a, &eps]);
            b.op("Log", &[&s])
        }
        "exp" => b.op("Exp", &[x]),
        "expm1" => {
            let e = b.op("Exp", &[x]);
            let one = b.scalar(1.0);
            b.op("Sub", &[&e, &one])
        }
        "sin" => b.op("Sin", &[x]),
        "cos" => b.op("Cos", &[x]),
        "sinh" => b.op("Sinh", &[x]),
        "cosh" => b.op("Cosh", &[x]),
        "tanh" => b.op("Tanh", &[x]),
        "arcsinh" => b.op("Asinh", &[x]),
        "arctan" => b.op("Atan", &[x]),
        "erf" => b.op("Erf", &[x]),
        "erfc" => {
            let e = b.op("Erf", &[x]);
            let one = b.scalar(1.0);
            b.op("Sub", &[&one, &e])
        }
        "sigmoid" => b.op("Sigmoid", &[x]),
        "log_sigmoid" => {
            let n = b.op("Neg", &[x]);
            let s = b.op("Softplus", &[&n]);
            b.op("Neg", &[&s])
        }
        "softplus" => b.op("Softplus", &[x]),
        "softsign" => b.op("Softsign", &[x]),
        "relu" | "max0" => b.op("Relu", &[x]),
        "min0" => {
            let zero = b.scalar(0.0);
            b.op("Min", &[x, &zero])
        }
        "leaky_relu" => b.op_with(
            "LeakyRelu",
            &[x],
            vec![float_attribute("alpha", LEAKY_SLOPE)],
        ),
        "elu" => b.op_with("Elu", &[x], vec![float_attribute("alpha", 1.0)]),
        "selu" => b.op_with(
            "Selu",
            &[x],
            vec![
                float_attribute("alpha", SELU_ALPHA),
                float_attribute("gamma", SELU_SCALE),
            ],
        ),
        "gelu" => {
            let k = b.scalar(FRAC_1_SQRT_2);
            let s = b.op("Mul", &[x, &k]);
            let e = b.op("Erf", &[&s]);
            let one = b.scalar(1.0);
            let p = b.op("Add", &[&one, &e]);
            let half = b.scalar(0.5);
            let hx = b.op("Mul", &[&half, x]);
            b.op("Mul", &[&hx, &p])
        }
        "swish" => {
            let s = b.op("Sigmoid", &[x]);
            b.op("Mul", &[x, &s])
        }
        "mish" => {
            let s = b.op("Softplus", &[x]);
            let t = b.op("Tanh", &[&s]);
            b.op("Mul", &[x, &t])
        }
        "elish" => {
            let s = b.op("Sigmoid", &[x]);
            let pos = b.op("Mul", &[x, &s]);
            let e = b.op("Exp", &[x]);
            let one = b.scalar(1.0);
            let em1 = b.op("Sub", &[&e, &one]);
            let neg = b.op("Mul", &[&em1, &s]);
            let zero = b.scalar(0.0);
            let c = b.op("GreaterOrEqual", &[x, &zero]);
            b.select(&c, &pos, &neg)
        }
        "hard_sigmoid" => hard_sigmoid(b, x),
        "hard_swish" => {
            let h = hard_sigmoid(b, x);
            b.op("Mul", &[x, &h])
        }
        "relu6" => clamp(b, x, 0.0, 6.0),
        "gaussian" => {
            let sq = b.op("Mul", &[x, x]);
            let n = b.op("Neg", &[&sq]);
            b.op("Exp", &[&n])
        }
        "add" => b.op("Add", &[x, y]),
        "sub" => b.op("Sub", &[x, y]),
        "mul" => b.op("Mul", &[x, y]),
        "div" => {
            let r = reciprocal(b, y);
            b.op("Mul", &[x, &r])
        }
        "max" => b.op("Max", &[x, y]),
        "min" => b.op("Min", &[x, y]),
        "sigmoid_gate" => {
            let s = b.op("Sigmoid", &[x]);
            b.op("Mul", &[&s, y])
        }
        "lap_dist" => {
            let d = b.op("Sub", &[x, y]);
            let a = b.op("Abs", &[&d]);
            let n = b.op("Neg", &[&a]);
            b.op("Exp", &[&n])
        }
        "scale" => {
            let k = b.scalar(params[0]);
            b.op("Mul", &[&k, x])
        }
        "shift" => {
            let k = b.scalar(params[0]);
            b.op("Add", &[x, &k])
        }
        "lerp" => {
            let w = b.scalar(params[0]);
            let v = b.scalar(1.0 - params[0]);
            let wa = b.op("Mul", &[&w, x]);
            let vb = b.op("Mul", &[&v, y]);
            b.op("Add", &[&wa, &vb])
        }
        "heaviside" => {
            let zero = b.scalar(0.0);
            let one = b.scalar(1.0);
            let c = b.op("GreaterOrEqual", &[x, &zero]);
            b.select(&c, &one, &zero)
        }
        "sign" => b.op("Sign", &[x]),
        "floor" => b.op("Floor", &[x]),
        "ceil" => b.op("Ceil", &[x]),
        "round" => b.op("Round", &[x]),
        "frac" => {
            let f = b.op("Floor", &[x]);
            b.op("Sub", &[x, &f])
        }
        "clamp" => clamp(b, x, params[0], params[1]),
        "deadzone" => {
            let a = b.op("Abs", &[x]);
            let t = b.scalar(params[0]);
            let c = b.op("LessOrEqual", &[&a, &t]);
            let zero = b.scalar(0.0);
            b.select(&c, &zero, x)
        }
        "threshold" => {
            let t = b.scalar(params[0]);
            let c = b.op("Greater", &[x, &t]);
            let zero = b.scalar(0.0);
            b.select(&c, x, &zero)
        }
        "bump" => {
            let a = b.op("Abs", &[x]);
            let half = b.scalar(0.5);
            let c = b.op("LessOrEqual", &[&a, &half]);
            let (one, zero) = (b.scalar(1.0), b.scalar(0.0));
            b.select(&c, &one, &zero)
        }
        "zero" | "one" => {
            let v = b.scalar(if name == "one" { 1.0 } else { 0.0 });
            let nan = b.op("IsNaN", &[x]);
            b.select(&nan, &v, &v)
        }
        other => return Err(other.to_string()),
    };
    // Saturate where a moderate input overflows (e^89 is inf in f32), as radact does.
    if matches!(name, "exp" | "expm1" | "sinh" | "cosh" | "elish") {
        return Ok(saturate(b, &out));
    }
    Ok(out)
}

/// `min(max(y, -f32::MAX), f32::MAX)`: ±inf to ±`f32::MAX`.
fn saturate(b: &mut Builder, y: &str) -> String {
    clamp(b, y, -f32::MAX, f32::MAX)
}

/// Radact's protected `1/x`: `x / (x^2 + RECIPROCAL_EPS)`.
fn reciprocal(b: &mut Builder, x: &str) -> String {
    let sq = b.op("Mul", &[x, x]);
    let eps = b.scalar(RECIPROCAL_EPS);
    let d = b.op("Add", &[&sq, &eps]);
    b.op("Div", &[x, &d])
}

/// `min(max(x, lo), hi)`.
fn clamp(b: &mut Builder, x: &str, lo: f32, hi: f32) -> String {
    let (l, h) = (b.scalar(lo), b.scalar(hi));
    let m = b.op("Max", &[x, &l]);
    b.op("Min", &[&m, &h])
}

/// `clamp(x + 3, 0, 6) / 6`.
fn hard_sigmoid(b: &mut Builder, x: &str) -> String {
    let three = b.scalar(3.0);
    let s = b.op("Add", &[x, &three]);
    let c = clamp(b, &s, 0.0, 6.0);
    let six = b.scalar(6.0);
    b.op("Div", &[&c, &six])
}

/// Lowers an expression of the activation's listing: `input` is the pre-activation,
/// `constants` the layer's trainable constants, `vars` the listing's bound variables.
fn lower(
    b: &mut Builder,
    e: &Expr,
    input: &str,
    constants: &[f32],
    vars: &[String],
) -> Result<String, String> {
    Ok(match e {
        Expr::Input => input.to_string(),
        Expr::Const(v) => b.scalar(*v),
        Expr::Param(k) => b.scalar(constants.get(*k).copied().unwrap_or(f32::NAN)),
        Expr::Var(i) => vars[*i].clone(),
        Expr::Call {
            kernel,
            args,
            params,
        } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| lower(b, a, input, constants, vars))
                .collect::<Result<_, _>>()?;
            call(b, kernel.name, &args, params)?
        }
    })
}

fn tensor_info(name: &str, dims: Vec<Dimension>, elem_type: i32) -> ValueInfoProto {
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type,
                shape: Some(TensorShapeProto { dim: dims }),
            }),
        }),
    }
}

fn batch() -> Dimension {
    Dimension {
        dim_value: None,
        dim_param: Some("N".to_string()),
    }
}

fn size(n: usize) -> Dimension {
    Dimension {
        dim_value: Some(n as i64),
        dim_param: None,
    }
}

/// The ONNX model of `model`, serialised.
pub fn generate(model: &SavedModel) -> Result<Vec<u8>, ModelError> {
    let mut b = Builder::default();
    let w = &model.widths;
    let n_in = model.n_inputs();
    let divisor = b.scalar(model.input.divisor);
    let mut a = b.op("Div", &["x", &divisor]);
    if let (Some(mean), Some(std)) = (&model.input.mean, &model.input.std) {
        let m = b.constant(vec![n_in as i64], mean.clone());
        let s = b.constant(vec![n_in as i64], std.clone());
        let centred = b.op("Sub", &[&a, &m]);
        a = b.op("Div", &[&centred, &s]);
    }
    let listing = Listing::lower(&model.activation.activation().forward);
    let layers = w.len() - 1;
    for (l, layer) in model.layers.iter().enumerate() {
        let weights = b.constant(vec![w[l] as i64, w[l + 1] as i64], layer.weights.clone());
        let bias = b.constant(vec![w[l + 1] as i64], layer.bias.clone());
        let product = b.op("MatMul", &[&a, &weights]);
        let z = b.op("Add", &[&product, &bias]);
        if l == layers - 1 {
            a = z;
            break;
        }
        let constants = model.layer_constants(l);
        let unsupported = |name: String| {
            ModelError::Unsupported(format!(
                "the ONNX export has no lowering of the primitive `{name}` (in `{}`)",
                model.activation.formula()
            ))
        };
        let mut vars = Vec::new();
        for binding in &listing.bindings {
            let v = lower(&mut b, binding, &z, &constants, &vars).map_err(unsupported)?;
            vars.push(v);
        }
        let mut y = lower(&mut b, &listing.result, &z, &constants, &vars).map_err(unsupported)?;
        if y == z {
            // The identity activation: a node of its own keeps names distinct.
            y = b.op("Identity", &[&z]);
        }
        if let Some(s) = model.standardization {
            let shift = b.scalar(s.shift);
            let scale = b.scalar(s.scale);
            let centred = b.op("Sub", &[&y, &shift]);
            y = b.op("Mul", &[&centred, &scale]);
        }
        a = y;
    }
    // Name the outputs.
    b.nodes.push(NodeProto {
        input: vec![a],
        output: vec!["logits".to_string()],
        name: "logits".to_string(),
        op_type: "Identity".to_string(),
        attribute: Vec::new(),
    });
    b.nodes.push(NodeProto {
        input: vec!["logits".to_string()],
        output: vec!["class".to_string()],
        name: "class".to_string(),
        op_type: "ArgMax".to_string(),
        attribute: vec![int_attribute("axis", 1), int_attribute("keepdims", 0)],
    });
    let graph = GraphProto {
        node: b.nodes,
        name: "radact".to_string(),
        initializer: b.initializers,
        input: vec![tensor_info("x", vec![batch(), size(n_in)], FLOAT)],
        output: vec![
            tensor_info("logits", vec![batch(), size(model.n_classes())], FLOAT),
            // TensorProto.DataType.INT64.
            tensor_info("class", vec![batch()], 7),
        ],
    };
    let proto = ModelProto {
        ir_version: IR_VERSION,
        producer_name: "radact".to_string(),
        producer_version: RADACT_VERSION.to_string(),
        doc_string: format!(
            "MLP {:?}, activation {} (backward {}), {} (split seed {}, training seed {}); test \
             accuracy {:.4} in radact. Input x: raw values; outputs logits and class.",
            model.widths,
            model.activation.formula(),
            model.activation.activation().backward,
            model.data.spec.name(),
            model.data.split_seed,
            model.seed,
            model.test_accuracy
        ),
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
    };
    Ok(proto.encode_to_vec())
}
