//! The example's functions.

use std::ffi::CStr;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, LargeStringArray};
use arrow::datatypes::{DataType, Field};

use crate::{Aggregate, Function, Result, Scalar, f64_values, float64, large_strings, utf8};

pub fn scalars() -> Vec<Box<dyn Scalar>> {
    vec![
        Box::new(Reverse),
        Box::new(Distance { name: c"example_l2_distance", kind: Kind::L2 }),
        Box::new(Distance { name: c"example_cosine_distance", kind: Kind::Cosine }),
        Box::new(Distance { name: c"example_inner_product", kind: Kind::InnerProduct }),
    ]
}

pub fn aggregates() -> Vec<Box<dyn Aggregate>> {
    vec![Box::new(Longest)]
}

fn name_of(name: &CStr) -> &str {
    name.to_str().unwrap_or("example")
}

fn is_string(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn one_string_arg(name: &CStr, args: &[Field]) -> Result<()> {
    match args {
        [arg] if is_string(arg.data_type()) => Ok(()),
        [arg] => {
            Err(format!("TypeError: {} takes a string, got {}", name_of(name), arg.data_type()))
        }
        _ => Err(format!("TypeError: {} takes 1 argument, got {}", name_of(name), args.len())),
    }
}

/// `example_reverse(s)`: `s` with its characters in reverse order.
struct Reverse;

impl Function for Reverse {
    fn name(&self) -> &'static CStr {
        c"example_reverse"
    }

    fn return_field(&self, args: &[Field]) -> Result<Field> {
        one_string_arg(self.name(), args)?;
        Ok(Field::new("example_reverse", DataType::Utf8, true))
    }
}

impl Scalar for Reverse {
    fn call(&self, args: Vec<ArrayRef>) -> Result<ArrayRef> {
        let strings = large_strings(&args[0])?;
        Ok(utf8(strings.iter().map(|s| s.map(|s| s.chars().rev().collect()))))
    }
}

/// The longest non-null string, ties going to the smallest.
fn longest<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Option<&'a str> {
    values.flatten().fold(None, |best: Option<&str>, s| match best {
        Some(b) if b.chars().count() > s.chars().count() => Some(b),
        Some(b) if b.chars().count() == s.chars().count() && b <= s => Some(b),
        _ => Some(s),
    })
}

fn one_large_string(value: Option<&str>) -> ArrayRef {
    Arc::new(LargeStringArray::from(vec![value]))
}

/// `example_longest(s)`: the longest string of the group (ties: the smallest); its state is that
/// string.
struct Longest;

impl Function for Longest {
    fn name(&self) -> &'static CStr {
        c"example_longest"
    }

    fn return_field(&self, args: &[Field]) -> Result<Field> {
        one_string_arg(self.name(), args)?;
        Ok(Field::new("example_longest", DataType::LargeUtf8, true))
    }
}

impl Aggregate for Longest {
    fn state_fields(&self, _args: &[Field]) -> Result<Vec<Field>> {
        Ok(vec![Field::new("longest", DataType::LargeUtf8, true)])
    }

    fn aggregate(&self, args: Vec<ArrayRef>) -> Result<Vec<ArrayRef>> {
        let strings = large_strings(&args[0])?;
        Ok(vec![one_large_string(longest(strings.iter()))])
    }

    fn combine(&self, states: Vec<ArrayRef>) -> Result<Vec<ArrayRef>> {
        self.aggregate(states)
    }

    fn finalize(&self, states: Vec<ArrayRef>) -> Result<ArrayRef> {
        Ok(states[0].clone())
    }
}

#[derive(Clone, Copy)]
enum Kind {
    L2,
    Cosine,
    InnerProduct,
}

/// A distance between two vectors per row, as float64. A null vector gives null; vectors of different
/// lengths are an error; the cosine distance of a zero vector is null.
struct Distance {
    name: &'static CStr,
    kind: Kind,
}

fn is_vector(data_type: &DataType) -> bool {
    let item = match data_type {
        DataType::FixedSizeList(item, _) | DataType::List(item) | DataType::LargeList(item) => item,
        _ => return false,
    };
    matches!(item.data_type(), DataType::Float32 | DataType::Float64)
}

/// Each row's vector as a range of `values` (`None` for a null vector).
struct Vectors {
    values: arrow::array::Float64Array,
    rows: Vec<Option<(usize, usize)>>,
}

/// The vectors of a FixedSizeList, List or LargeList column, as float64.
fn vectors(array: &ArrayRef) -> Result<Vectors> {
    let item = Arc::new(Field::new_list_field(DataType::Float64, true));
    let list =
        arrow::compute::cast(array, &DataType::LargeList(item)).map_err(|e| e.to_string())?;
    let list = list.as_list::<i64>();
    let values = f64_values(list.values())?;
    let offsets = list.value_offsets();
    let rows = (0..list.len())
        .map(|i| {
            if list.is_null(i) {
                None
            } else {
                Some((offsets[i] as usize, offsets[i + 1] as usize))
            }
        })
        .collect();
    Ok(Vectors { values, rows })
}

impl Distance {
    fn measure(&self, a: &[f64], b: &[f64]) -> Option<f64> {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        match self.kind {
            Kind::L2 => Some(a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()),
            Kind::InnerProduct => Some(dot),
            Kind::Cosine => {
                let norms = a.iter().map(|x| x * x).sum::<f64>().sqrt()
                    * b.iter().map(|y| y * y).sum::<f64>().sqrt();
                if norms == 0.0 { None } else { Some(1.0 - dot / norms) }
            }
        }
    }
}

impl Function for Distance {
    fn name(&self) -> &'static CStr {
        self.name
    }

    fn return_field(&self, args: &[Field]) -> Result<Field> {
        let name = name_of(self.name);
        match args {
            [a, b] if is_vector(a.data_type()) && is_vector(b.data_type()) => {
                Ok(Field::new(name, DataType::Float64, true))
            }
            [a, b] => Err(format!(
                "TypeError: {name} takes two lists of float32 or float64, got {} and {}",
                a.data_type(),
                b.data_type()
            )),
            _ => Err(format!("TypeError: {name} takes 2 arguments, got {}", args.len())),
        }
    }
}

impl Scalar for Distance {
    fn call(&self, args: Vec<ArrayRef>) -> Result<ArrayRef> {
        let (a, b) = (vectors(&args[0])?, vectors(&args[1])?);
        let (a_values, b_values) = (a.values.values(), b.values.values());
        let mut out = Vec::with_capacity(a.rows.len());
        for (row, (a, b)) in a.rows.iter().zip(&b.rows).enumerate() {
            let (Some((a0, a1)), Some((b0, b1))) = (a, b) else {
                out.push(None);
                continue;
            };
            let (a, b) = (&a_values[*a0..*a1], &b_values[*b0..*b1]);
            if a.len() != b.len() {
                return Err(format!(
                    "ValueError: {}: row {row} has vectors of lengths {} and {}",
                    name_of(self.name),
                    a.len(),
                    b.len()
                ));
            }
            out.push(self.measure(a, b));
        }
        Ok(float64(out))
    }
}
