//! What a physical plan reports about itself: how its output is partitioned
//! (`ExecutionPlan.output_partitioning`), and, once executed, what it measured (`metrics()` /
//! `collect_metrics()` give `MetricsSet`s of `Metric`s: rows out, compute time, spills,
//! timestamps and operator-specific ones).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::physical_plan::Partitioning;
use datafusion::physical_plan::metrics::{Metric, MetricValue, MetricsSet};
use pyo3::prelude::*;

/// One measurement of one operator, usually of one partition.
#[pyclass(frozen, name = "Metric", module = "fuseplug._internal")]
pub struct PyMetric {
    inner: Arc<Metric>,
}

#[pymethods]
impl PyMetric {
    /// What is measured, e.g. `output_rows`, `elapsed_compute`, `spill_count`.
    #[getter]
    fn name(&self) -> String {
        self.inner.value().name().to_string()
    }

    /// The 0-based partition it applies to (`None`: the whole operator).
    #[getter]
    fn partition(&self) -> Option<usize> {
        self.inner.partition()
    }

    /// The value: a count, bytes or nanoseconds; for start / end timestamps a UTC `datetime`
    /// (`None` while unset).
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.inner.value().is_timestamp() {
            return self.value_as_datetime(py);
        }
        Ok(Some(self.inner.value().as_usize().into_pyobject(py)?.into_any()))
    }

    /// For start / end timestamps, the value as a UTC `datetime`; otherwise `None`.
    #[getter]
    fn value_as_datetime<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let time = match self.inner.value() {
            MetricValue::StartTimestamp(t) | MetricValue::EndTimestamp(t) => t.value(),
            _ => None,
        };
        let Some(time) = time else { return Ok(None) };
        let datetime = py.import("datetime")?;
        let utc = datetime.getattr("timezone")?.getattr("utc")?;
        let seconds = time.timestamp() as f64 + f64::from(time.timestamp_subsec_nanos()) * 1e-9;
        let value = datetime.getattr("datetime")?.call_method1("fromtimestamp", (seconds, utc))?;
        Ok(Some(value))
    }

    /// The metric's labels (e.g. which file), as a dict.
    fn labels(&self) -> HashMap<String, String> {
        self.inner.labels().iter().map(|l| (l.name().to_string(), l.value().to_string())).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "Metric({} = {}, partition={:?})",
            self.name(),
            self.inner.value(),
            self.partition()
        )
    }
}

/// Every metric of one operator.
#[pyclass(frozen, name = "MetricsSet", module = "fuseplug._internal")]
pub struct PyMetricsSet {
    inner: MetricsSet,
}

impl From<MetricsSet> for PyMetricsSet {
    fn from(inner: MetricsSet) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyMetricsSet {
    fn metrics(&self) -> Vec<PyMetric> {
        self.inner.iter().map(|m| PyMetric { inner: Arc::clone(m) }).collect()
    }

    /// Rows produced, summed over partitions.
    #[getter]
    fn output_rows(&self) -> Option<usize> {
        self.inner.output_rows()
    }

    /// CPU time inside the operator, in nanoseconds, summed over partitions.
    #[getter]
    fn elapsed_compute(&self) -> Option<usize> {
        self.inner.elapsed_compute()
    }

    #[getter]
    fn spill_count(&self) -> Option<usize> {
        self.inner.spill_count()
    }

    #[getter]
    fn spilled_bytes(&self) -> Option<usize> {
        self.inner.spilled_bytes()
    }

    #[getter]
    fn spilled_rows(&self) -> Option<usize> {
        self.inner.spilled_rows()
    }

    /// The metric `name` (`output_rows`, `elapsed_compute` or an operator's own) summed over
    /// partitions, or `None` when none was recorded. Timestamps do not sum: `None` for them.
    fn sum_by_name(&self, name: &str) -> Option<usize> {
        let values: Vec<usize> = self
            .inner
            .iter()
            .map(|m| m.value())
            .filter(|v| v.name() == name && !v.is_timestamp())
            .map(MetricValue::as_usize)
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    }

    fn __repr__(&self) -> String {
        format!("MetricsSet({})", self.inner.aggregate_by_name().sorted_for_display())
    }
}

/// How a physical plan's output rows are spread over its partitions.
#[pyclass(frozen, name = "PhysicalPartitioning", module = "fuseplug._internal")]
pub struct PyPhysicalPartitioning {
    inner: Partitioning,
}

impl From<Partitioning> for PyPhysicalPartitioning {
    fn from(inner: Partitioning) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyPhysicalPartitioning {
    /// `RoundRobinBatch`, `Hash`, `Range` or `UnknownPartitioning`.
    #[getter]
    fn scheme(&self) -> &'static str {
        match self.inner {
            Partitioning::RoundRobinBatch(_) => "RoundRobinBatch",
            Partitioning::Hash(..) => "Hash",
            Partitioning::Range(_) => "Range",
            Partitioning::UnknownPartitioning(_) => "UnknownPartitioning",
        }
    }

    #[getter]
    fn partition_count(&self) -> usize {
        self.inner.partition_count()
    }

    /// The hashed expressions of a `Hash` partitioning (as text), else `None`.
    #[getter]
    fn hash_expressions(&self) -> Option<Vec<String>> {
        match &self.inner {
            Partitioning::Hash(exprs, _) => Some(exprs.iter().map(|e| e.to_string()).collect()),
            _ => None,
        }
    }

    fn __repr__(&self) -> String {
        self.inner.to_string()
    }

    /// Structural equality: same scheme, partition count and hashed (or range) expressions. Two
    /// `UnknownPartitioning(n)` of one width are equal, although DataFusion's own comparison says
    /// they are not (it cannot know the two unknown schemes agree).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok_and(|other| self.key() == other.get().key())
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.key().hash(&mut hasher);
        hasher.finish()
    }
}

impl PyPhysicalPartitioning {
    /// What equality compares: the partitioning written out in full, which names the scheme, the
    /// partition count and every expression (and, for a range, its split points).
    fn key(&self) -> String {
        self.inner.to_string()
    }
}
