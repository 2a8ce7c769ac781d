//! What every bridged function (scalar, aggregate, window) has in common, as two macros: the
//! adapter type itself, and the trait methods it answers the same way.
//!
//! datafusion-ffi carries a function's signature as "user defined" plus a `coerce_types` callback,
//! so the 55 side declares a user-defined signature with the 54 function's volatility and asks the
//! 54 side to coerce argument types.

/// Declares `$name`: a DataFusion 54 function of type `$inner` (made from an `Arc<dyn $impl54>`)
/// served as a DataFusion 55 one, with its 55 signature and its aliases.
macro_rules! function54 {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $impl54:path) => {
        $(#[$doc])*
        #[derive(Debug, PartialEq, Eq, Hash)]
        pub struct $name {
            inner: $inner,
            signature: datafusion::logical_expr::Signature,
            aliases: Vec<String>,
        }

        impl $name {
            pub fn new(inner: std::sync::Arc<dyn $impl54>) -> Self {
                let inner = <$inner>::new_from_shared_impl(inner);
                let volatility = $crate::udf::volatility(inner.signature().volatility);
                let signature = datafusion::logical_expr::Signature::user_defined(volatility);
                let aliases = inner.aliases().to_vec();
                Self { inner, signature, aliases }
            }
        }
    };
}

/// `name`, `aliases`, `signature` and `coerce_types` of a [`function54!`] type, inside its impl of
/// the 55 function trait.
macro_rules! forward_signature {
    () => {
        fn name(&self) -> &str {
            self.inner.name()
        }

        fn aliases(&self) -> &[String] {
            &self.aliases
        }

        fn signature(&self) -> &datafusion::logical_expr::Signature {
            &self.signature
        }

        fn coerce_types(
            &self,
            arg_types: &[arrow::datatypes::DataType],
        ) -> datafusion::common::Result<Vec<arrow::datatypes::DataType>> {
            let coerced = self
                .inner
                .coerce_types(&$crate::udf::types_to_54(arg_types)?)
                .map_err($crate::convert::error)?;
            $crate::udf::types(&coerced)
        }
    };
}
