//! An example native extension over Daft's stable C ABI, version 1, written against the raw ABI (the
//! published `daft-ext` 0.1.1 crate has no aggregate functions). Only Arrow C Data Interface structs
//! cross, so any host that speaks the ABI loads it, whatever DataFusion or arrow-rs it is built on.
//!
//! Functions: `example_reverse(s)`, the aggregate `example_longest(s)`, and the vector-distance family
//! `example_l2_distance`, `example_cosine_distance` and `example_inner_product` over FixedSizeList,
//! List or LargeList vectors of float32 or float64.
//!
//! Every entry point catches panics and reports them as errors: a panic must never unwind into the
//! host. Everything that can fail, importing the host's Arrow arrays included, runs inside the
//! entry point's `trampoline`. `live_objects()` (a Python function of the same library) counts the function contexts not
//! yet finalized and the error strings not yet freed, so tests can check that a host leaks nothing.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, LargeStringArray, StringArray, StructArray, make_array,
};
use arrow::datatypes::{DataType, Field, Fields, Float64Type};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi, to_ffi};
use pyo3::prelude::*;

mod functions;

type Result<T> = std::result::Result<T, String>;

// --- the ABI (version 1) --------------------------------------------------------------------------

const DAFT_ABI_VERSION: u32 = 1;

type ErrMsg = *mut *mut c_char;

#[repr(C)]
pub struct FfiModule {
    daft_abi_version: u32,
    name: *const c_char,
    init: unsafe extern "C" fn(*mut FfiSessionContext) -> c_int,
    free_string: unsafe extern "C" fn(*mut c_char),
}

#[repr(C)]
struct FfiScalarFunction {
    ctx: *const c_void,
    name: unsafe extern "C" fn(*const c_void) -> *const c_char,
    get_return_field: unsafe extern "C" fn(
        *const c_void,
        *const FFI_ArrowSchema,
        usize,
        *mut FFI_ArrowSchema,
        ErrMsg,
    ) -> c_int,
    call: unsafe extern "C" fn(
        *const c_void,
        *const FFI_ArrowArray,
        *const FFI_ArrowSchema,
        usize,
        *mut FFI_ArrowArray,
        *mut FFI_ArrowSchema,
        ErrMsg,
    ) -> c_int,
    fini: unsafe extern "C" fn(*mut c_void),
}

#[repr(C)]
struct FfiAggregateFunction {
    ctx: *const c_void,
    name: unsafe extern "C" fn(*const c_void) -> *const c_char,
    get_return_field: unsafe extern "C" fn(
        *const c_void,
        *const FFI_ArrowSchema,
        usize,
        *mut FFI_ArrowSchema,
        ErrMsg,
    ) -> c_int,
    get_state_schema: unsafe extern "C" fn(
        *const c_void,
        *const FFI_ArrowSchema,
        usize,
        *mut FFI_ArrowSchema,
        ErrMsg,
    ) -> c_int,
    aggregate: unsafe extern "C" fn(
        *const c_void,
        *const FFI_ArrowArray,
        *const FFI_ArrowSchema,
        usize,
        *mut FFI_ArrowArray,
        *mut FFI_ArrowSchema,
        ErrMsg,
    ) -> c_int,
    combine: unsafe extern "C" fn(
        *const c_void,
        *const FFI_ArrowArray,
        *const FFI_ArrowSchema,
        *mut FFI_ArrowArray,
        *mut FFI_ArrowSchema,
        ErrMsg,
    ) -> c_int,
    finalize: unsafe extern "C" fn(
        *const c_void,
        *const FFI_ArrowArray,
        *const FFI_ArrowSchema,
        *mut FFI_ArrowArray,
        *mut FFI_ArrowSchema,
        ErrMsg,
    ) -> c_int,
    fini: unsafe extern "C" fn(*mut c_void),
}

#[repr(C)]
pub struct FfiSessionContext {
    ctx: *mut c_void,
    define_function: unsafe extern "C" fn(*mut c_void, FfiScalarFunction) -> c_int,
    define_aggregate_function: unsafe extern "C" fn(*mut c_void, FfiAggregateFunction) -> c_int,
}

// --- what an extension author writes --------------------------------------------------------------

/// What every function has: a name and a return field for given argument fields.
pub trait Function: Send + Sync {
    fn name(&self) -> &'static CStr;
    fn return_field(&self, args: &[Field]) -> Result<Field>;
}

/// A scalar function: Arrow arrays in, one array out.
pub trait Scalar: Function {
    fn call(&self, args: Vec<ArrayRef>) -> Result<ArrayRef>;
}

/// An aggregate over one group: `aggregate` makes a partial state (one value per state field),
/// `combine` merges many partial states (one column per state field) into one, `finalize` turns a
/// state into the result.
pub trait Aggregate: Function {
    fn state_fields(&self, args: &[Field]) -> Result<Vec<Field>>;
    fn aggregate(&self, args: Vec<ArrayRef>) -> Result<Vec<ArrayRef>>;
    fn combine(&self, states: Vec<ArrayRef>) -> Result<Vec<ArrayRef>>;
    fn finalize(&self, states: Vec<ArrayRef>) -> Result<ArrayRef>;
}

// --- plumbing -------------------------------------------------------------------------------------

static LIVE_FUNCTIONS: AtomicIsize = AtomicIsize::new(0);
static LIVE_STRINGS: AtomicIsize = AtomicIsize::new(0);

fn new_string(message: &str) -> *mut c_char {
    LIVE_STRINGS.fetch_add(1, Ordering::SeqCst);
    CString::new(message.replace('\0', " ")).unwrap_or_default().into_raw()
}

unsafe extern "C" fn free_string(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from `new_string` (CString::into_raw) and is freed once, here.
        drop(unsafe { CString::from_raw(s) });
        LIVE_STRINGS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `f`; an error or a panic becomes return code 1 and a message in `*errmsg`.
fn trampoline(what: &str, errmsg: ErrMsg, f: impl FnOnce() -> Result<()>) -> c_int {
    let message = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return 0,
        Ok(Err(message)) => message,
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("panic in {what}: {text}")
        }
    };
    if !errmsg.is_null() {
        // SAFETY: the host passes a writable out-pointer.
        unsafe { *errmsg = new_string(&message) };
    }
    1
}

/// Borrowed argument schemas as fields.
///
/// # Safety
/// `args` points to `count` live schemas (or is unused when `count` is 0).
unsafe fn fields(args: *const FFI_ArrowSchema, count: usize) -> Result<Vec<Field>> {
    (0..count)
        .map(|i| Field::try_from(unsafe { &*args.add(i) }).map_err(|e| e.to_string()))
        .collect()
}

/// Takes ownership of `count` (array, schema) pairs, then imports them.
///
/// Call it inside [`trampoline`]: importing a malformed pair can panic (arrow-rs asserts on an empty
/// schema, for one). Ownership is taken first, so every pair is released (by dropping it) whatever
/// happens next.
///
/// # Safety
/// Both point to `count` structs that the host hands over and will not release.
unsafe fn take_arrays(
    arrays: *const FFI_ArrowArray,
    schemas: *const FFI_ArrowSchema,
    count: usize,
) -> Result<Vec<ArrayRef>> {
    let owned: Vec<(FFI_ArrowArray, FFI_ArrowSchema)> = (0..count)
        .map(|i| unsafe { (std::ptr::read(arrays.add(i)), std::ptr::read(schemas.add(i))) })
        .collect();
    owned
        .into_iter()
        .enumerate()
        .map(|(i, (array, schema))| {
            if array.is_released() {
                return Err(format!("argument {i} is an empty (released) array"));
            }
            let data = unsafe { from_ffi(array, &schema) }.map_err(|e| e.to_string())?;
            Ok(make_array(data))
        })
        .collect()
}

/// Hands `array` to the host through the out-parameters.
///
/// # Safety
/// Both pointers are writable and hold empty structs.
unsafe fn give_array(
    array: &ArrayRef,
    out_array: *mut FFI_ArrowArray,
    out_schema: *mut FFI_ArrowSchema,
) -> Result<()> {
    let (ffi_array, ffi_schema) = to_ffi(&array.to_data()).map_err(|e| e.to_string())?;
    unsafe {
        std::ptr::write(out_array, ffi_array);
        std::ptr::write(out_schema, ffi_schema);
    }
    Ok(())
}

/// # Safety
/// `out` is writable and holds an empty schema.
unsafe fn give_field(field: &Field, out: *mut FFI_ArrowSchema) -> Result<()> {
    let schema = FFI_ArrowSchema::try_from(field).map_err(|e| e.to_string())?;
    unsafe { std::ptr::write(out, schema) };
    Ok(())
}

fn state_struct(fields: &[Field], columns: Vec<ArrayRef>) -> Result<ArrayRef> {
    let fields: Fields = fields.iter().cloned().collect();
    let state = StructArray::try_new(fields, columns, None).map_err(|e| e.to_string())?;
    Ok(Arc::new(state))
}

/// A state struct's fields and columns.
fn unpack_state(state: &ArrayRef) -> Result<(Vec<Field>, Vec<ArrayRef>)> {
    let state = state
        .as_struct_opt()
        .ok_or_else(|| format!("a state must be a struct array, got {}", state.data_type()))?;
    let fields = state.fields().iter().map(|f| f.as_ref().clone()).collect();
    Ok((fields, state.columns().to_vec()))
}

// trampolines: a function's ctx is a leaked `Box<Box<dyn Scalar>>` or `Box<Box<dyn Aggregate>>`

fn function<'a, F: ?Sized>(ctx: *const c_void) -> &'a F {
    // SAFETY: ctx is the box made by `leak`, alive until `fini`.
    unsafe { &*(ctx as *const Box<F>) }
}

fn leak<F: ?Sized>(function: Box<F>) -> *const c_void {
    LIVE_FUNCTIONS.fetch_add(1, Ordering::SeqCst);
    Box::into_raw(Box::new(function)) as *const c_void
}

unsafe extern "C" fn name_of<F: ?Sized + Function>(ctx: *const c_void) -> *const c_char {
    function::<F>(ctx).name().as_ptr()
}

unsafe extern "C" fn return_field_of<F: ?Sized + Function>(
    ctx: *const c_void,
    args: *const FFI_ArrowSchema,
    count: usize,
    out: *mut FFI_ArrowSchema,
    errmsg: ErrMsg,
) -> c_int {
    trampoline("get_return_field", errmsg, || {
        let field = function::<F>(ctx).return_field(&unsafe { fields(args, count) }?)?;
        unsafe { give_field(&field, out) }
    })
}

unsafe extern "C" fn fini_of<F: ?Sized>(ctx: *mut c_void) {
    // A panicking destructor must not unwind into the host either; there is no error to report.
    // SAFETY: the box made by `leak`; the host calls fini once.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(ctx as *mut Box<F>) })));
    LIVE_FUNCTIONS.fetch_sub(1, Ordering::SeqCst);
}

fn scalar<'a>(ctx: *const c_void) -> &'a dyn Scalar {
    function::<dyn Scalar>(ctx)
}

unsafe extern "C" fn scalar_call(
    ctx: *const c_void,
    args: *const FFI_ArrowArray,
    schemas: *const FFI_ArrowSchema,
    count: usize,
    out_array: *mut FFI_ArrowArray,
    out_schema: *mut FFI_ArrowSchema,
    errmsg: ErrMsg,
) -> c_int {
    trampoline("call", errmsg, || {
        let inputs = unsafe { take_arrays(args, schemas, count) }?;
        let result = scalar(ctx).call(inputs)?;
        unsafe { give_array(&result, out_array, out_schema) }
    })
}

fn define_scalar(session: &FfiSessionContext, function: Box<dyn Scalar>) {
    let vtable = FfiScalarFunction {
        ctx: leak(function),
        name: name_of::<dyn Scalar>,
        get_return_field: return_field_of::<dyn Scalar>,
        call: scalar_call,
        fini: fini_of::<dyn Scalar>,
    };
    // SAFETY: the host's callback; it takes ownership of the vtable.
    unsafe { (session.define_function)(session.ctx, vtable) };
}

fn aggregate<'a>(ctx: *const c_void) -> &'a dyn Aggregate {
    function::<dyn Aggregate>(ctx)
}

unsafe extern "C" fn aggregate_state_schema(
    ctx: *const c_void,
    args: *const FFI_ArrowSchema,
    count: usize,
    out: *mut FFI_ArrowSchema,
    errmsg: ErrMsg,
) -> c_int {
    trampoline("get_state_schema", errmsg, || {
        let state = aggregate(ctx).state_fields(&unsafe { fields(args, count) }?)?;
        let field = Field::new("state", DataType::Struct(state.into_iter().collect()), false);
        unsafe { give_field(&field, out) }
    })
}

unsafe extern "C" fn aggregate_aggregate(
    ctx: *const c_void,
    args: *const FFI_ArrowArray,
    schemas: *const FFI_ArrowSchema,
    count: usize,
    out_array: *mut FFI_ArrowArray,
    out_schema: *mut FFI_ArrowSchema,
    errmsg: ErrMsg,
) -> c_int {
    trampoline("aggregate", errmsg, || {
        let inputs = unsafe { take_arrays(args, schemas, count) }?;
        let function = aggregate(ctx);
        let input_fields: Vec<Field> =
            inputs.iter().map(|a| Field::new("", a.data_type().clone(), true)).collect();
        let state =
            state_struct(&function.state_fields(&input_fields)?, function.aggregate(inputs)?)?;
        unsafe { give_array(&state, out_array, out_schema) }
    })
}

unsafe extern "C" fn aggregate_combine(
    ctx: *const c_void,
    state: *const FFI_ArrowArray,
    schema: *const FFI_ArrowSchema,
    out_array: *mut FFI_ArrowArray,
    out_schema: *mut FFI_ArrowSchema,
    errmsg: ErrMsg,
) -> c_int {
    trampoline("combine", errmsg, || {
        let input = unsafe { take_arrays(state, schema, 1) }?;
        let (state_fields, columns) = unpack_state(&input[0])?;
        let combined = state_struct(&state_fields, aggregate(ctx).combine(columns)?)?;
        unsafe { give_array(&combined, out_array, out_schema) }
    })
}

unsafe extern "C" fn aggregate_finalize(
    ctx: *const c_void,
    state: *const FFI_ArrowArray,
    schema: *const FFI_ArrowSchema,
    out_array: *mut FFI_ArrowArray,
    out_schema: *mut FFI_ArrowSchema,
    errmsg: ErrMsg,
) -> c_int {
    trampoline("finalize", errmsg, || {
        let input = unsafe { take_arrays(state, schema, 1) }?;
        let (_, columns) = unpack_state(&input[0])?;
        let result = aggregate(ctx).finalize(columns)?;
        unsafe { give_array(&result, out_array, out_schema) }
    })
}

fn define_aggregate(session: &FfiSessionContext, function: Box<dyn Aggregate>) {
    let vtable = FfiAggregateFunction {
        ctx: leak(function),
        name: name_of::<dyn Aggregate>,
        get_return_field: return_field_of::<dyn Aggregate>,
        get_state_schema: aggregate_state_schema,
        aggregate: aggregate_aggregate,
        combine: aggregate_combine,
        finalize: aggregate_finalize,
        fini: fini_of::<dyn Aggregate>,
    };
    // SAFETY: the host's callback; it takes ownership of the vtable.
    unsafe { (session.define_aggregate_function)(session.ctx, vtable) };
}

unsafe extern "C" fn init(session: *mut FfiSessionContext) -> c_int {
    let defined = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the host passes a live session context for the duration of init.
        let session = unsafe { &*session };
        for function in functions::scalars() {
            define_scalar(session, function);
        }
        for function in functions::aggregates() {
            define_aggregate(session, function);
        }
    }));
    if defined.is_ok() { 0 } else { 1 }
}

/// The entry point every Daft-ABI extension exports.
#[unsafe(no_mangle)]
pub extern "C" fn daft_module_magic() -> FfiModule {
    FfiModule {
        daft_abi_version: DAFT_ABI_VERSION,
        name: c"fuseplug_native_example".as_ptr(),
        init,
        free_string,
    }
}

// --- helpers shared by the functions --------------------------------------------------------------

/// Strings of any Arrow string type, as `LargeUtf8` (what the ABI's hosts send).
pub(crate) fn large_strings(array: &ArrayRef) -> Result<LargeStringArray> {
    let cast = arrow::compute::cast(array, &DataType::LargeUtf8).map_err(|e| e.to_string())?;
    Ok(cast.as_string::<i64>().clone())
}

pub(crate) fn utf8(values: impl IntoIterator<Item = Option<String>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

pub(crate) fn float64(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<Float64Array>())
}

pub(crate) fn f64_values(array: &ArrayRef) -> Result<Float64Array> {
    let cast = arrow::compute::cast(array, &DataType::Float64).map_err(|e| e.to_string())?;
    Ok(cast.as_primitive::<Float64Type>().clone())
}

/// The Python side of the library: counters for the tests.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    /// `{"functions": ..., "strings": ...}`: function contexts not yet finalized and error strings
    /// not yet freed by a host.
    #[pyfunction]
    fn live_objects() -> std::collections::BTreeMap<&'static str, isize> {
        [
            ("functions", LIVE_FUNCTIONS.load(Ordering::SeqCst)),
            ("strings", LIVE_STRINGS.load(Ordering::SeqCst)),
        ]
        .into_iter()
        .collect()
    }
    m.add_function(wrap_pyfunction!(live_objects, m)?)?;
    Ok(())
}
