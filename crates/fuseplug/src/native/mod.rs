//! Native extensions over Daft's stable C ABI (version 1): a shared library exports
//! `daft_module_magic`, whose `init` defines scalar and aggregate functions that exchange only Arrow
//! C Data Interface structs, so they are tied to no DataFusion or arrow-rs version.
//!
//! A library is opened once per process and never closed. Each load into a session calls `init`
//! again; the functions it defines belong to that session's UDFs, and their `fini` runs when the
//! last UDF holding them is dropped. Error strings are freed with the module's `free_string`.
//!
//! Ownership across the boundary, as the ABI defines it: schemas passed to `get_return_field` and
//! `get_state_schema` stay ours; arrays and schemas passed to `call`, `aggregate`, `combine` and
//! `finalize` move to the module; whatever the module writes into the out-parameters is ours.

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use arrow::array::{Array, ArrayRef, make_array};
use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi};
use datafusion::common::{exec_datafusion_err, internal_err, plan_datafusion_err};
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, ReturnFieldArgs,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use pyo3::prelude::*;

use crate::errors::{Error, Result, fuseplug_exception};

/// The Daft ABI version this host speaks.
pub const DAFT_ABI_VERSION: u32 = 1;
const MAGIC_SYMBOL: &CStr = c"daft_module_magic";

type FreeString = unsafe extern "C" fn(*mut c_char);
type ErrMsg = *mut *mut c_char;

#[repr(C)]
#[derive(Clone, Copy)]
struct FfiModule {
    daft_abi_version: u32,
    name: *const c_char,
    init: unsafe extern "C" fn(*mut FfiSessionContext) -> c_int,
    free_string: FreeString,
}

type FieldFn = unsafe extern "C" fn(
    *const c_void,
    *const FFI_ArrowSchema,
    usize,
    *mut FFI_ArrowSchema,
    ErrMsg,
) -> c_int;
type CallFn = unsafe extern "C" fn(
    *const c_void,
    *const FFI_ArrowArray,
    *const FFI_ArrowSchema,
    usize,
    *mut FFI_ArrowArray,
    *mut FFI_ArrowSchema,
    ErrMsg,
) -> c_int;
type StateFn = unsafe extern "C" fn(
    *const c_void,
    *const FFI_ArrowArray,
    *const FFI_ArrowSchema,
    *mut FFI_ArrowArray,
    *mut FFI_ArrowSchema,
    ErrMsg,
) -> c_int;

#[repr(C)]
struct FfiScalarFunction {
    ctx: *const c_void,
    name: unsafe extern "C" fn(*const c_void) -> *const c_char,
    get_return_field: FieldFn,
    call: CallFn,
    fini: unsafe extern "C" fn(*mut c_void),
}

#[repr(C)]
struct FfiAggregateFunction {
    ctx: *const c_void,
    name: unsafe extern "C" fn(*const c_void) -> *const c_char,
    get_return_field: FieldFn,
    get_state_schema: FieldFn,
    aggregate: CallFn,
    combine: StateFn,
    finalize: StateFn,
    fini: unsafe extern "C" fn(*mut c_void),
}

/// What the host hands `init`. Modules built with the published `daft-ext` 0.1.1 read only the first
/// two fields; the aggregate field is the trailing one the ABI added later (still version 1).
#[repr(C)]
struct FfiSessionContext {
    ctx: *mut c_void,
    define_function: unsafe extern "C" fn(*mut c_void, FfiScalarFunction) -> c_int,
    define_aggregate_function: unsafe extern "C" fn(*mut c_void, FfiAggregateFunction) -> c_int,
}

#[derive(Default)]
struct Defined {
    scalars: Vec<FfiScalarFunction>,
    aggregates: Vec<FfiAggregateFunction>,
}

// The module's init runs these; they must never unwind into it, and must return 0 (the daft-ext SDK
// asserts on anything else, inside an extern "C" function).
unsafe extern "C" fn define_function(ctx: *mut c_void, function: FfiScalarFunction) -> c_int {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `ctx` is the `Defined` that `Library::init` passed for this very call.
        unsafe { &mut *(ctx as *mut Defined) }.scalars.push(function);
    }));
    0
}

unsafe extern "C" fn define_aggregate_function(
    ctx: *mut c_void,
    function: FfiAggregateFunction,
) -> c_int {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `define_function`.
        unsafe { &mut *(ctx as *mut Defined) }.aggregates.push(function);
    }));
    0
}

/// An opened extension library (never closed: functions may outlive any session).
#[derive(Debug)]
pub(crate) struct Library {
    pub name: String,
    pub path: PathBuf,
    module: ModuleFns,
}

#[derive(Clone, Copy)]
struct ModuleFns {
    init: unsafe extern "C" fn(*mut FfiSessionContext) -> c_int,
    free_string: FreeString,
}

impl fmt::Debug for ModuleFns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ModuleFns")
    }
}

static OPENED: LazyLock<Mutex<HashMap<PathBuf, Arc<Library>>>> = LazyLock::new(Default::default);

fn dlerror() -> String {
    // SAFETY: dlerror returns a thread-local message or null.
    let message = unsafe { libc::dlerror() };
    if message.is_null() {
        "unknown error".to_owned()
    } else {
        // SAFETY: non-null: a NUL-terminated string owned by the loader.
        unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned()
    }
}

fn plugin_error(py: Python<'_>, class: &str, message: String) -> Error {
    Error::Python(fuseplug_exception(py, class, message))
}

impl Library {
    /// Opens `path` once per process and checks its magic symbol and ABI version.
    pub(crate) fn open(py: Python<'_>, path: &Path) -> Result<Arc<Library>> {
        let path = path.canonicalize().map_err(|e| {
            plugin_error(py, "PluginError", format!("cannot open {}: {e}", path.display()))
        })?;
        let mut opened =
            OPENED.lock().map_err(|_| Error::Value("extension registry poisoned".into()))?;
        if let Some(library) = opened.get(&path) {
            return Ok(Arc::clone(library));
        }
        let c_path = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| Error::Value("library path contains a NUL byte".into()))?;
        // SAFETY: dlopen with a valid C string; the handle is kept for the life of the process.
        let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            let why = dlerror();
            return Err(plugin_error(
                py,
                "PluginError",
                format!("cannot load {} as a native extension: {why}", path.display()),
            ));
        }
        // SAFETY: a live handle and a NUL-terminated symbol name.
        let symbol = unsafe { libc::dlsym(handle, MAGIC_SYMBOL.as_ptr()) };
        if symbol.is_null() {
            return Err(plugin_error(
                py,
                "PluginError",
                format!(
                    "{} is not a Daft native extension: it exports no `daft_module_magic`",
                    path.display()
                ),
            ));
        }
        // SAFETY: the ABI defines the symbol as `extern "C" fn() -> FFI_Module`.
        let magic: unsafe extern "C" fn() -> FfiModule = unsafe { std::mem::transmute(symbol) };
        let module = unsafe { magic() };
        let name = if module.name.is_null() {
            String::new()
        } else {
            // SAFETY: the ABI requires a NUL-terminated name valid for the life of the process.
            unsafe { CStr::from_ptr(module.name) }.to_string_lossy().into_owned()
        };
        if module.daft_abi_version != DAFT_ABI_VERSION {
            return Err(plugin_error(
                py,
                "IncompatiblePluginError",
                format!(
                    "native extension {name:?} ({}) has Daft ABI version {}, but fuseplug speaks \
                     version {DAFT_ABI_VERSION}: install a release of it built for ABI version \
                     {DAFT_ABI_VERSION}",
                    path.display(),
                    module.daft_abi_version
                ),
            ));
        }
        let module = ModuleFns { init: module.init, free_string: module.free_string };
        let library = Arc::new(Library { name, path: path.clone(), module });
        opened.insert(path, Arc::clone(&library));
        Ok(library)
    }

    /// Runs the module's `init`: a fresh set of functions, owned by the returned values.
    fn init(self: &Arc<Self>, py: Python<'_>) -> Result<Functions> {
        let mut defined = Defined::default();
        let mut session = FfiSessionContext {
            ctx: (&mut defined as *mut Defined).cast(),
            define_function,
            define_aggregate_function,
        };
        // SAFETY: `session` and `defined` outlive the call; the module only calls our callbacks.
        let rc = unsafe { (self.module.init)(&mut session) };
        let functions = Functions {
            scalars: defined
                .scalars
                .into_iter()
                .map(|vtable| Arc::new(ScalarFn::new(Arc::clone(self), vtable)))
                .collect(),
            aggregates: defined
                .aggregates
                .into_iter()
                .map(|vtable| Arc::new(AggregateFn::new(Arc::clone(self), vtable)))
                .collect(),
        };
        if rc != 0 {
            return Err(plugin_error(
                py,
                "PluginError",
                format!("native extension {:?}: init returned {rc}", self.name),
            ));
        }
        Ok(functions)
    }

    /// The module's error message, freed with its own `free_string`.
    fn take_error(&self, errmsg: *mut c_char) -> String {
        if errmsg.is_null() {
            return "failed without a message".to_owned();
        }
        // SAFETY: a NUL-terminated string the module allocated; freed once, by the module.
        let message = unsafe { CStr::from_ptr(errmsg) }.to_string_lossy().into_owned();
        unsafe { (self.module.free_string)(errmsg) };
        message
    }
}

/// What one `init` defined.
struct Functions {
    scalars: Vec<Arc<ScalarFn>>,
    aggregates: Vec<Arc<AggregateFn>>,
}

/// Where a function comes from: enough to find it again in another process that loaded the same
/// extension (a plan codec sends functions by this identity).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    pub extension: String,
    pub library: PathBuf,
    pub function: String,
}

fn function_name(
    library: &Library,
    ctx: *const c_void,
    name: unsafe extern "C" fn(*const c_void) -> *const c_char,
) -> String {
    // SAFETY: the ABI returns a NUL-terminated name valid until `fini`; we copy it.
    let raw = unsafe { name(ctx) };
    if raw.is_null() {
        return format!("{}_unnamed", library.name);
    }
    unsafe { CStr::from_ptr(raw) }.to_string_lossy().into_owned()
}

/// The string types the ABI expects (Daft's own are the large ones): Utf8 and Utf8View become
/// LargeUtf8, Binary and BinaryView become LargeBinary; everything else passes as is.
pub fn large(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8 | DataType::Utf8View => DataType::LargeUtf8,
        DataType::Binary | DataType::BinaryView => DataType::LargeBinary,
        other => other.clone(),
    }
}

fn export_schema(field: &Field) -> DFResult<FFI_ArrowSchema> {
    Ok(FFI_ArrowSchema::try_from(field)?)
}

/// Calls one of the module's `get_*` functions over borrowed argument fields.
fn call_field_fn(
    library: &Library,
    what: &str,
    ctx: *const c_void,
    function: FieldFn,
    fields: &[FieldRef],
) -> DFResult<Field> {
    let schemas = fields.iter().map(|f| export_schema(f)).collect::<DFResult<Vec<_>>>()?;
    let mut out = FFI_ArrowSchema::empty();
    let mut errmsg: *mut c_char = std::ptr::null_mut();
    // SAFETY: the schemas stay ours (borrowed by the callee) and live across the call.
    let rc = unsafe { function(ctx, schemas.as_ptr(), schemas.len(), &mut out, &mut errmsg) };
    if rc != 0 {
        return Err(plan_datafusion_err!("{what}: {}", library.take_error(errmsg)));
    }
    if !schema_written(&out) {
        return Err(unwritten(what));
    }
    Ok(Field::try_from(&out)?)
}

/// Whether the module filled an out-parameter schema: the C Data Interface marks an empty (or
/// released) one by a null `release`. arrow-rs has no accessor for it, and reading an empty schema
/// with arrow-rs panics on an assertion.
fn schema_written(schema: &FFI_ArrowSchema) -> bool {
    /// `struct ArrowSchema` of the C Data Interface, which `FFI_ArrowSchema` mirrors (`repr(C)`).
    #[repr(C)]
    struct Raw {
        format: *const c_char,
        name: *const c_char,
        metadata: *const c_char,
        flags: i64,
        n_children: i64,
        children: *mut *mut c_void,
        dictionary: *mut c_void,
        release: Option<unsafe extern "C" fn(*mut c_void)>,
        private_data: *mut c_void,
    }
    const _: () = assert!(size_of::<Raw>() == size_of::<FFI_ArrowSchema>());
    // SAFETY: FFI_ArrowSchema is `repr(C)` with exactly the fields of the C struct; only two
    // pointers are read.
    let raw = unsafe { &*(schema as *const FFI_ArrowSchema).cast::<Raw>() };
    raw.release.is_some() && !raw.format.is_null()
}

/// A module that reported success without writing its result.
fn unwritten(what: &str) -> DataFusionError {
    DataFusionError::Ffi(format!(
        "native function {what} returned success but wrote no result: a bug in the extension"
    ))
}

/// Arrays exported as the ABI's (array, schema) pairs for a call that takes ownership of them: they
/// are never released on our side (the callee releases them).
struct Handed {
    arrays: ManuallyDrop<Vec<FFI_ArrowArray>>,
    schemas: ManuallyDrop<Vec<FFI_ArrowSchema>>,
}

impl Handed {
    fn new(arrays: &[ArrayRef]) -> DFResult<Self> {
        let mut ffi_arrays = Vec::with_capacity(arrays.len());
        let mut ffi_schemas = Vec::with_capacity(arrays.len());
        for array in arrays {
            let array = arrow::compute::cast(array, &large(array.data_type()))?;
            ffi_schemas.push(export_schema(&Field::new("", array.data_type().clone(), true))?);
            ffi_arrays.push(FFI_ArrowArray::new(&array.to_data()));
        }
        Ok(Self { arrays: ManuallyDrop::new(ffi_arrays), schemas: ManuallyDrop::new(ffi_schemas) })
    }
}

fn import_array(array: FFI_ArrowArray, schema: &FFI_ArrowSchema) -> DFResult<ArrayRef> {
    // SAFETY: both were written by the module as a matching, owned pair.
    let data = unsafe { from_ffi(array, schema) }?;
    Ok(make_array(data))
}

/// Runs a call that hands arrays to the module and gets one array back.
fn call_arrays(
    library: &Library,
    what: &str,
    run: impl FnOnce(*mut FFI_ArrowArray, *mut FFI_ArrowSchema, ErrMsg) -> c_int,
) -> DFResult<ArrayRef> {
    let mut out_array = FFI_ArrowArray::empty();
    let mut out_schema = FFI_ArrowSchema::empty();
    let mut errmsg: *mut c_char = std::ptr::null_mut();
    let rc = run(&mut out_array, &mut out_schema, &mut errmsg);
    if rc != 0 {
        return Err(exec_datafusion_err!("{what}: {}", library.take_error(errmsg)));
    }
    // Whatever half was written is released when the pair is dropped.
    if out_array.is_released() || !schema_written(&out_schema) {
        return Err(unwritten(what));
    }
    import_array(out_array, &out_schema)
}

/// What the two function vtables share: the module's context, its name and its finalizer.
trait Vtable {
    fn ctx(&self) -> *const c_void;
    fn name_fn(&self) -> NameFn;
    fn fini_fn(&self) -> FiniFn;
}

type NameFn = unsafe extern "C" fn(*const c_void) -> *const c_char;
type FiniFn = unsafe extern "C" fn(*mut c_void);

impl Vtable for FfiScalarFunction {
    fn ctx(&self) -> *const c_void {
        self.ctx
    }
    fn name_fn(&self) -> NameFn {
        self.name
    }
    fn fini_fn(&self) -> FiniFn {
        self.fini
    }
}

impl Vtable for FfiAggregateFunction {
    fn ctx(&self) -> *const c_void {
        self.ctx
    }
    fn name_fn(&self) -> NameFn {
        self.name
    }
    fn fini_fn(&self) -> FiniFn {
        self.fini
    }
}

/// One function of a loaded extension; `fini` runs when the last holder drops it.
struct Native<V: Vtable> {
    library: Arc<Library>,
    vtable: V,
    identity: Identity,
}

type ScalarFn = Native<FfiScalarFunction>;
type AggregateFn = Native<FfiAggregateFunction>;

// SAFETY: the ABI makes the module responsible for the thread safety of its context; hosts call
// functions from many threads (Daft does too).
unsafe impl<V: Vtable> Send for Native<V> {}
// SAFETY: as above.
unsafe impl<V: Vtable> Sync for Native<V> {}

impl<V: Vtable> Native<V> {
    fn new(library: Arc<Library>, vtable: V) -> Self {
        let function = function_name(&library, vtable.ctx(), vtable.name_fn());
        let identity =
            Identity { extension: library.name.clone(), library: library.path.clone(), function };
        Self { library, vtable, identity }
    }

    fn what(&self) -> String {
        format!("{}.{}", self.identity.extension, self.identity.function)
    }
}

impl<V: Vtable> Drop for Native<V> {
    fn drop(&mut self) {
        // SAFETY: called once, after the last use of the function.
        unsafe { (self.vtable.fini_fn())(self.vtable.ctx().cast_mut()) }
    }
}

impl<V: Vtable> fmt::Debug for Native<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Native").field("identity", &self.identity).finish()
    }
}

impl AggregateFn {
    /// Runs `aggregate` over one batch of one group: a one-row state struct.
    fn aggregate(&self, arrays: &[ArrayRef]) -> DFResult<ArrayRef> {
        let handed = Handed::new(arrays)?;
        call_arrays(&self.library, &self.what(), |array, schema, errmsg| {
            // SAFETY: inputs move to the module; the outputs are ours.
            unsafe {
                (self.vtable.aggregate)(
                    self.vtable.ctx,
                    handed.arrays.as_ptr(),
                    handed.schemas.as_ptr(),
                    handed.arrays.len(),
                    array,
                    schema,
                    errmsg,
                )
            }
        })
    }

    /// Runs `combine` or `finalize` over a state struct (moved to the module).
    fn on_state(&self, function: StateFn, state: &ArrayRef) -> DFResult<ArrayRef> {
        let handed = Handed::new(std::slice::from_ref(state))?;
        call_arrays(&self.library, &self.what(), |array, schema, errmsg| {
            // SAFETY: the state moves to the module; the outputs are ours.
            unsafe {
                function(
                    self.vtable.ctx,
                    handed.arrays.as_ptr(),
                    handed.schemas.as_ptr(),
                    array,
                    schema,
                    errmsg,
                )
            }
        })
    }
}

/// A native function as a DataFusion UDF: a ScalarUDF over a scalar vtable, an AggregateUDF over an
/// aggregate one. Two are equal when they hold the same loaded function.
struct NativeUdf<V: Vtable> {
    function: Arc<Native<V>>,
    signature: Signature,
    /// An aggregate's state struct per input fields, asked of the module once: DataFusion builds an
    /// accumulator per group, and each needs it.
    state_fields: Mutex<HashMap<Vec<FieldRef>, Fields>>,
}

impl<V: Vtable> NativeUdf<V> {
    fn new(function: Arc<Native<V>>) -> Self {
        let signature = Signature::user_defined(Volatility::Immutable);
        Self { function, signature, state_fields: Mutex::default() }
    }
}

impl<V: Vtable> fmt::Debug for NativeUdf<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeUdf").field("identity", &self.function.identity).finish()
    }
}

impl<V: Vtable> PartialEq for NativeUdf<V> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.function, &other.function)
    }
}

impl<V: Vtable> Eq for NativeUdf<V> {}

impl<V: Vtable> Hash for NativeUdf<V> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.function.identity.hash(state);
    }
}

/// A native scalar function as a DataFusion ScalarUDF.
fn scalar_udf(function: Arc<ScalarFn>) -> ScalarUDF {
    ScalarUDF::new_from_impl(NativeUdf::new(function))
}

/// A native aggregate function as a DataFusion AggregateUDF. Its state is the module's state struct,
/// one DataFusion state field per struct child.
fn aggregate_udf(function: Arc<AggregateFn>) -> AggregateUDF {
    AggregateUDF::new_from_impl(NativeUdf::new(function))
}

impl ScalarUDFImpl for NativeUdf<FfiScalarFunction> {
    fn name(&self) -> &str {
        &self.function.identity.function
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DFResult<Vec<DataType>> {
        Ok(arg_types.iter().map(large).collect())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        internal_err!("native functions answer return_field_from_args")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DFResult<FieldRef> {
        let f = &self.function;
        let field = call_field_fn(
            &f.library,
            &f.what(),
            f.vtable.ctx,
            f.vtable.get_return_field,
            args.arg_fields,
        )?;
        Ok(Arc::new(field.with_name(self.name())))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        let rows = args.number_rows;
        let arrays =
            args.args.iter().map(|a| a.to_array(rows)).collect::<DFResult<Vec<ArrayRef>>>()?;
        let f = &self.function;
        let handed = Handed::new(&arrays)?;
        let result = call_arrays(&f.library, &f.what(), |array, schema, errmsg| {
            // SAFETY: inputs move to the module; the outputs are ours.
            unsafe {
                (f.vtable.call)(
                    f.vtable.ctx,
                    handed.arrays.as_ptr(),
                    handed.schemas.as_ptr(),
                    handed.arrays.len(),
                    array,
                    schema,
                    errmsg,
                )
            }
        })?;
        if result.len() != rows {
            return Err(exec_datafusion_err!(
                "{}: returned {} rows for {rows} input rows",
                f.what(),
                result.len()
            ));
        }
        let declared = args.return_field.data_type();
        let result = if result.data_type() == declared {
            result
        } else {
            arrow::compute::cast(&result, declared)?
        };
        Ok(ColumnarValue::Array(result))
    }
}

impl NativeUdf<FfiAggregateFunction> {
    fn state_struct(&self, input_fields: &[FieldRef]) -> DFResult<Fields> {
        let cached = self.state_fields.lock().ok().and_then(|c| c.get(input_fields).cloned());
        if let Some(fields) = cached {
            return Ok(fields);
        }
        let fields = self.ask_state_struct(input_fields)?;
        if let Ok(mut cache) = self.state_fields.lock() {
            cache.insert(input_fields.to_vec(), fields.clone());
        }
        Ok(fields)
    }

    fn ask_state_struct(&self, input_fields: &[FieldRef]) -> DFResult<Fields> {
        let f = &self.function;
        let state = call_field_fn(
            &f.library,
            &f.what(),
            f.vtable.ctx,
            f.vtable.get_state_schema,
            input_fields,
        )?;
        match state.data_type() {
            DataType::Struct(fields) => Ok(fields.clone()),
            other => Err(plan_datafusion_err!(
                "{}: the state schema must be a struct, got {other}",
                f.what()
            )),
        }
    }
}

fn fields_of(types: &[DataType]) -> Vec<FieldRef> {
    types.iter().map(|t| Arc::new(Field::new("", large(t), true))).collect()
}

impl AggregateUDFImpl for NativeUdf<FfiAggregateFunction> {
    fn name(&self) -> &str {
        &self.function.identity.function
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DFResult<Vec<DataType>> {
        Ok(arg_types.iter().map(large).collect())
    }

    fn return_type(&self, arg_types: &[DataType]) -> DFResult<DataType> {
        let f = &self.function;
        let fields = fields_of(arg_types);
        let field =
            call_field_fn(&f.library, &f.what(), f.vtable.ctx, f.vtable.get_return_field, &fields)?;
        Ok(field.data_type().clone())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DFResult<Vec<FieldRef>> {
        let fields = self.state_struct(args.input_fields)?;
        Ok(fields
            .iter()
            .map(|f| {
                let name = format_state_name(args.name, f.name());
                Arc::new(f.as_ref().clone().with_name(name).with_nullable(true))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> DFResult<Box<dyn Accumulator>> {
        let state_fields = self.state_struct(args.expr_fields)?;
        let input_types = args.expr_fields.iter().map(|f| large(f.data_type())).collect();
        Ok(Box::new(NativeAccumulator::new(
            Arc::clone(&self.function),
            state_fields,
            input_types,
            args.return_field.data_type().clone(),
        )))
    }
}

mod accumulator;
mod session;

use accumulator::NativeAccumulator;

pub use session::{PyNativeExtension, aggregate_identity, load_for_plan, scalar_identity};
